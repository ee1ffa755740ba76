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

  // After new content settles, put keyboard focus where the user continues: the first field
  // with a message after a refused save, or the editor's heading after opening a record.
  // (With outerHTML swaps the event's target is the old, detached element, so look in the
  // document.)
  document.addEventListener("htmx:afterSettle", function (event) {
    var invalid = document.querySelector("form.editor [aria-invalid='true']");
    if (invalid) { invalid.focus(); return; }
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    var target = event.detail.target;
    if (verb === "get" && target && target.id === "editor") {
      var heading = target.querySelector("h2[tabindex='-1']");
      if (heading) { heading.focus(); }
    }
  });

  // Old messages go when new content arrives, so they never describe a previous action.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = messages();
    if (box && event.detail.elt && !event.detail.elt.closest("#messages")) { box.replaceChildren(); }
  });
})();
