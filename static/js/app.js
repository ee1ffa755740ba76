// Small behaviours the server-rendered pages need. No inline scripts (CSP: script-src 'self').
(function () {
  "use strict";

  function messages() { return document.getElementById("messages"); }

  function showError(text) {
    var box = messages();
    if (!box) { return; }
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    box.replaceChildren(p);
  }

  // Network failures never reach the server's error fragments: say so in the page.
  document.addEventListener("htmx:sendError", function () {
    showError(document.documentElement.lang === "en"
      ? "The server cannot be reached. Please check the connection and try again."
      : "Der Server ist nicht erreichbar. Bitte Verbindung prüfen und erneut versuchen.");
  });

  // After an editor is swapped in, move keyboard focus to its heading so screen-reader and
  // keyboard users continue where the new content is.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id === "messages") { return; }
    var heading = target.querySelector && target.querySelector("h2[tabindex='-1']");
    if (target.matches && target.matches("form.editor")) {
      heading = target.querySelector("h2[tabindex='-1']");
    }
    var invalid = target.querySelector && target.querySelector("[aria-invalid='true']");
    if (invalid) { invalid.focus(); }
    else if (heading && event.detail.requestConfig && event.detail.requestConfig.verb === "get") { heading.focus(); }
  });

  // Old messages go when new content arrives, so they never describe a previous action.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = messages();
    if (box && event.detail.elt && !event.detail.elt.closest("#messages")) { box.replaceChildren(); }
  });
})();
