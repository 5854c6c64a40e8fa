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
