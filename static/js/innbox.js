// Small progressive enhancements; every page works without them except the dialogs.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-open-dialog]");
  if (opener) {
    document.getElementById(opener.dataset.openDialog)?.showModal();
    return;
  }
  const closer = event.target.closest("[data-close-dialog]");
  if (closer) closer.closest("dialog")?.close();
});

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Templates page: choosing another reservation to preview with re-renders every preview.
document.addEventListener("change", (event) => {
  if (event.target.id !== "preview-reservation") return;
  document.querySelectorAll("textarea[hx-post]").forEach((area) => {
    area.dispatchEvent(new Event("preview-refresh"));
  });
});

// PMS settings: show only the credential fields of the chosen PMS.
function showCredentialsFor(select) {
  document.querySelectorAll("fieldset.credentials").forEach((fieldset) => {
    fieldset.hidden = fieldset.dataset.provider !== select.value;
  });
}
document.addEventListener("change", (event) => {
  if (event.target.name === "provider") showCredentialsFor(event.target);
});
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("select[name=provider]");
  if (select) showCredentialsFor(select);
});

// A link to a page's dialog (".../guests/<id>/#send-dialog", "Message" in the guests list) opens
// it; the hash is dropped so that reloading the page after a send does not open it again.
document.addEventListener("DOMContentLoaded", () => {
  const target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
  if (target instanceof HTMLDialogElement) {
    history.replaceState(null, "", location.pathname + location.search);
    target.showModal();
  }
});

// Phone layout: the menu button opens and closes the sidebar; Escape closes it and gives focus
// back to the button. aria-expanded tells screen readers the menu's state.
function setMenu(open, { focusButton = false } = {}) {
  const shell = document.querySelector("[data-shell]");
  const button = document.querySelector("[data-menu-button]");
  if (!shell || !button) return;
  shell.classList.toggle("menu-open", open);
  button.setAttribute("aria-expanded", String(open));
  if (open) document.querySelector("[data-sidebar] a")?.focus();
  else if (focusButton) button.focus();
}
document.addEventListener("click", (event) => {
  if (!event.target.closest("[data-menu-button]")) return;
  const button = event.target.closest("[data-menu-button]");
  setMenu(button.getAttribute("aria-expanded") !== "true");
});
document.addEventListener("keydown", (event) => {
  const shell = document.querySelector("[data-shell]");
  if (event.key === "Escape" && shell?.classList.contains("menu-open")) {
    setMenu(false, { focusButton: true });
  }
});

// Toasts: closable, and gone by themselves after a while, but never while the pointer or the
// keyboard focus is on them (someone is reading).
function dismissToast(toast) {
  toast.remove();
}
document.addEventListener("click", (event) => {
  const closer = event.target.closest("[data-close-toast]");
  if (closer) dismissToast(closer.closest("[data-toast]"));
});
document.addEventListener("DOMContentLoaded", () => {
  const toasts = document.querySelectorAll("[data-toast]");
  toasts.forEach((toast) => {
    let remaining = Number(toast.dataset.toastSeconds || 6) * 1000;
    let started = Date.now();
    let timer = setTimeout(() => dismissToast(toast), remaining);
    const pause = () => {
      clearTimeout(timer);
      remaining -= Date.now() - started;
    };
    const resume = () => {
      if (toast.matches(":hover") || toast.contains(document.activeElement)) return;
      started = Date.now();
      timer = setTimeout(() => dismissToast(toast), Math.max(remaining, 2000));
    };
    toast.addEventListener("mouseenter", pause);
    toast.addEventListener("focusin", pause);
    toast.addEventListener("mouseleave", resume);
    toast.addEventListener("focusout", resume);
  });
});

// HTMX loading state for assistive technology: the element that started a request is busy until
// it ends (Pico also draws its spinner on aria-busy elements).
// Polls and live previews ([data-poll], [data-no-busy]) run every few seconds or keystrokes: no
// spinner for those.
document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail.elt.closest("[data-poll], [data-no-busy]")) return;
  event.detail.elt.setAttribute("aria-busy", "true");
});
document.addEventListener("htmx:afterRequest", (event) => {
  event.detail.elt.removeAttribute("aria-busy");
});

// Send dialog: typing your own words chooses "My own words", so a template picked by default
// never silently replaces what staff wrote.
document.addEventListener("input", (event) => {
  if (event.target.id !== "send-text" || !event.target.value.trim()) return;
  const own = event.target.form?.querySelector('input[name="trigger"][value=""]');
  if (own && !own.checked) {
    own.checked = true;
    own.dispatchEvent(new Event("change", { bubbles: true }));
  }
});

// Guests and reservations: a filter other than the search box applies as soon as it changes (the
// search box waits for typing to pause). An hx-trigger filter would need eval, which the
// Content-Security-Policy forbids.
document.addEventListener("change", (event) => {
  const form = event.target.closest?.("form.list-filters");
  if (form && event.target.type !== "search") htmx.trigger(form, "filters-changed");
});

// Guests and reservations: HTMX replaces the results on a sort, a tab or a page. Keyboard users
// keep their place (the same link, or else the count above the table) instead of landing at the
// top of the page, and screen readers hear the new count from a region that is never replaced.
let listFocus = null;
document.addEventListener("htmx:beforeRequest", () => {
  const results = document.getElementById("list-results");
  const active = document.activeElement;
  listFocus = results && active && results.contains(active) ? active.getAttribute("href") || "" : null;
});
document.addEventListener("htmx:afterSettle", () => {
  const results = document.getElementById("list-results");
  if (!results) return;
  const summary = results.querySelector(".list-summary");
  const announcer = document.getElementById("list-announcer");
  if (announcer && summary) announcer.textContent = summary.textContent.trim().replace(/\s+/g, " ");
  if (listFocus === null) return;
  const sameLink = listFocus && results.querySelector(`a[href="${CSS.escape(listFocus)}"]`);
  (sameLink || summary)?.focus();
  listFocus = null;
});

// "Copy link": the text of data-copy to the clipboard, and a word that it worked.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button || !navigator.clipboard) return;
  await navigator.clipboard.writeText(button.dataset.copy);
  const label = button.textContent;
  button.textContent = button.dataset.copied || label;
  setTimeout(() => { button.textContent = label; }, 2000);
});

// Boards (/orders/, /requests/): the poll waits while the tab is hidden and asks at once when the
// tab shows again (capture phase: before the aria-busy handler above marks it busy).
document.addEventListener("htmx:beforeRequest", (event) => {
  if (document.hidden && event.detail.elt.matches?.("[data-board]")) {
    event.preventDefault();
    event.stopPropagation();
  }
}, true);
document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  document.querySelectorAll("[data-board]").forEach((board) => htmx.trigger(board, "board-refresh"));
});
// A refused move (400: not allowed; 409: someone moved it first) still shows the board as it is
// now, with the reason above it.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ((status === 400 || status === 409) && event.detail.target?.matches?.("[data-board]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// When the board is replaced, the keyboard stays where it was: on the same button of the same
// card if it is still there, else on the card (which moved to its next column).
let boardFocus = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  if (!event.detail.target?.matches?.("[data-board]")) return;
  const active = document.activeElement;
  const card = active?.closest?.("[data-board] .board-card");
  boardFocus = card ? { card: card.id, to: active.matches("button") ? active.value : null } : null;
});
document.addEventListener("htmx:afterSettle", () => {
  if (!boardFocus) return;
  const card = document.getElementById(boardFocus.card);
  const button = boardFocus.to && card?.querySelector(`button[value="${CSS.escape(boardFocus.to)}"]`);
  (button || card)?.focus();
  boardFocus = null;
});
