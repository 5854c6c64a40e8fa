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
