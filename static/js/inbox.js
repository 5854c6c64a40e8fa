// The inbox, live: the sidebar's unread badge and the page title on every page, opt-in alerts
// (a browser notification and a short beep) when a guest writes or asks for a person, and the
// thread's reply box. HTMX does the polling (see the hx-* attributes); this file only reacts.
(() => {
  const ALERTS_KEY = "innbox.alerts"; // "on" when this browser asked for alerts
  const NOTIFIED_KEY = "innbox.notified"; // the newest activity some tab already announced
  const SEEN_KEY = "innbox.seen"; // the stamps of the newest activity a page of this browser had
  const titleText = () => document.title.replace(/^\(\d+\)\s*/, "");

  // --- the unread badge and the title ----------------------------------------------------------
  function showUnread(count) {
    document.title = (count > 0 ? `(${count}) ` : "") + titleText();
    document.querySelectorAll("[data-inbox-count]").forEach((element) => {
      element.textContent = String(count);
      element.hidden = count === 0;
    });
  }

  function alertsOn() {
    return localStorage.getItem(ALERTS_KEY) === "on";
  }

  // WebAudio, no file: two short notes. Browsers let it play once the page has had a click.
  let audio = null;
  function unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume();
    return audio;
  }
  function beep() {
    const context = unlockAudio();
    if (!context) return;
    [880, 660].forEach((frequency, index) => {
      const start = context.currentTime + index * 0.16;
      const tone = context.createOscillator();
      const volume = context.createGain();
      tone.frequency.value = frequency;
      volume.gain.setValueAtTime(0.0001, start);
      volume.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, start + 0.14);
      tone.connect(volume).connect(context.destination);
      tone.start(start);
      tone.stop(start + 0.15);
    });
  }
  document.addEventListener("pointerdown", () => { if (alertsOn()) unlockAudio(); }, { once: true });

  function announce(badge) {
    const { notifyTitle, notifyBody, notifyUrl, notifyTag, notifyStamp } = badge.dataset;
    if (!notifyTitle || !alertsOn()) return;
    // Several open tabs hear the same news: the first one announces it.
    const seen = localStorage.getItem(NOTIFIED_KEY) || "";
    if (seen && Date.parse(seen) >= Date.parse(notifyStamp)) return;
    localStorage.setItem(NOTIFIED_KEY, notifyStamp);
    beep();
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const notification = new Notification(notifyTitle, { body: notifyBody, tag: notifyTag });
    notification.addEventListener("click", () => {
      window.focus();
      location.href = notifyUrl;
    });
  }

  document.addEventListener("htmx:afterSettle", () => {
    const badge = document.getElementById("inbox-badge");
    if (!badge) return;
    showUnread(Number(badge.dataset.unread || 0));
    announce(badge);
    // What this browser has seen, for the next page's first poll: news that came while it
    // loaded is still news.
    const seen = new URL(badge.getAttribute("hx-get"), location.href).searchParams;
    if (seen.has("m")) localStorage.setItem(SEEN_KEY, seen.toString());
  });
  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt.id !== "inbox-badge" || event.detail.path.includes("?")) return;
    const seen = new URLSearchParams(localStorage.getItem(SEEN_KEY) || "");
    if (seen.has("m")) {
      event.detail.parameters.m = seen.get("m");
      event.detail.parameters.e = seen.get("e") || "";
    }
  });

  // --- the alerts button ---------------------------------------------------------------------
  function labelAlerts(button) {
    const on = alertsOn();
    button.textContent = on ? button.dataset.labelOn : button.dataset.labelOff;
    button.setAttribute("aria-pressed", String(on));
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-alerts-toggle]").forEach((button) => {
      button.hidden = false;
      labelAlerts(button);
    });
    document.querySelectorAll("[data-saved-replies]").forEach((picker) => { picker.hidden = false; });
    const text = document.getElementById("reply-text");
    if (text) syncReplyForm(text.form);
  });
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-alerts-toggle]");
    if (!button) return;
    if (alertsOn()) {
      localStorage.removeItem(ALERTS_KEY);
    } else {
      localStorage.setItem(ALERTS_KEY, "on");
      localStorage.setItem(NOTIFIED_KEY, new Date().toISOString());
      beep(); // this click lets the page play sound; staff hear what an alert sounds like
      if ("Notification" in window && Notification.permission === "default") {
        await Notification.requestPermission();
      }
    }
    labelAlerts(button);
  });

  // A tab in the background leaves the list and the thread alone (they catch up within seconds of
  // coming back); the badge keeps asking, for the title and the alerts.
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (document.hidden && event.detail.elt.matches?.("[data-thread-live], #inbox-rows")) {
      event.preventDefault();
    }
  });

  // --- the open thread -----------------------------------------------------------------------
  // A thread on screen is being read: its poll says so, and the server marks new messages read.
  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt.matches?.("[data-thread-live]") && document.visibilityState === "visible") {
      event.detail.parameters.seen = "1";
    }
  });

  // A refusal (a 4xx naming the problem) is shown where the server points it (HX-Retarget).
  document.addEventListener("htmx:beforeSwap", (event) => {
    const { xhr } = event.detail;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After an action went through: the problem shown before is gone; a sent reply or note leaves
  // an empty box (and so does its preview).
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.closest(".conversation")) return;
    // Not detail.successful: a refusal swapped in above (beforeSwap) counts as "successful".
    if (event.detail.xhr.status >= 400) return;
    const problem = document.getElementById("inbox-problem");
    if (problem) problem.textContent = "";
    if (form.matches("[data-reply-form]")) {
      form.querySelector("#reply-text").value = "";
      form.querySelector("#reply-trigger").value = "";
      document.getElementById("reply-preview").textContent = "";
      syncReplyForm(form);
    }
  });

  // A template replaces the text box; a note has neither template nor preview.
  function syncReplyForm(form) {
    if (!form) return;
    const note = form.querySelector('input[name="mode"][value="note"]')?.checked;
    const trigger = form.querySelector("#reply-trigger");
    const text = form.querySelector("#reply-text");
    trigger.disabled = Boolean(note);
    text.disabled = !note && trigger.value !== "";
    text.placeholder = note ? text.dataset.notePlaceholder : text.dataset.replyPlaceholder;
  }
  document.addEventListener("change", (event) => {
    const form = event.target.closest?.("[data-reply-form]");
    if (!form) return;
    if (event.target.matches("[data-saved-replies]")) {
      insertSavedReply(form, event.target);
      return;
    }
    syncReplyForm(form);
  });

  // A saved reply goes in at the cursor, variables and all: the preview shows them filled in.
  function insertSavedReply(form, picker) {
    const option = picker.selectedOptions[0];
    picker.value = "";
    if (!option?.dataset.body) return;
    const text = form.querySelector("#reply-text");
    form.querySelector("#reply-trigger").value = "";
    syncReplyForm(form);
    const start = text.selectionStart ?? text.value.length;
    const end = text.selectionEnd ?? text.value.length;
    text.value = text.value.slice(0, start) + option.dataset.body + text.value.slice(end);
    text.focus();
    const caret = start + option.dataset.body.length;
    text.setSelectionRange(caret, caret);
    text.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Ctrl+Enter (or Cmd+Enter) sends.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const form = event.target.closest?.("[data-reply-form]");
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
