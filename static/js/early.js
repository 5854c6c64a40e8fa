// Runs before the page is drawn: styles that only make sense with JavaScript key on html.js.
document.documentElement.classList.add("js");
