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
  // with a message after a refused save (422, 409), or the editor's heading after opening a
  // record. A check while typing (200) never moves the focus: the keys typed next would land
  // in another field. (With outerHTML swaps the event's target is the old, detached element,
  // so look in the document.)
  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail.xhr;
    var invalid = document.querySelector("form.editor [aria-invalid='true']");
    if (invalid && xhr && xhr.status >= 400) { invalid.focus(); return; }
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

// Interface screens (templates/interfaces): dialogs, fields shown on condition,
// the menus ("Mehr", and the navigation's Verwaltung on every page), table rows and arrow
// keys in the list. Markup opts in with data-* attributes.
(function () {
  "use strict";

  // Dialogs loaded by htmx (Neu, Kopieren, Hilfe) open as modals: focus moves into them,
  // Escape closes them (native), and focus returns to the element that opened them.
  function openDialogs(root) {
    var dialogs = root.matches && root.matches("dialog[data-open-modal]") ? [root]
      : root.querySelectorAll ? root.querySelectorAll("dialog[data-open-modal]") : [];
    Array.prototype.forEach.call(dialogs, function (dialog) {
      if (dialog.open || !dialog.isConnected) { return; }
      var opener = document.activeElement;
      // data-return-focus: the id of the element that gets the focus instead (a search
      // dialog gives it back to the input it fills).
      var back = dialog.getAttribute("data-return-focus");
      dialog.addEventListener("close", function () {
        dialog.remove();
        var target = (back && document.getElementById(back)) || opener;
        if (target && target.isConnected) { target.focus(); }
      });
      dialog.showModal();
      var first = dialog.querySelector("[autofocus]") || dialog.querySelector("h2[tabindex='-1']");
      if (first) { first.focus(); }
    });
  }

  function closeDialogs() {
    document.querySelectorAll("dialog.modal[open]").forEach(function (dialog) { dialog.close(); });
  }

  // Fields with data-shown-if are visible while the named control has one of the values
  // (bool controls count as "y"/"n"; an empty control counts as its default). The server
  // ignores hidden fields, so this is presentation only.
  function controlValue(form, name, fallback) {
    var control = form.elements.namedItem(name);
    if (!control) { return fallback; }
    if (control.length !== undefined && !control.tagName) { control = control[0]; }
    if (control.type === "checkbox") { return control.checked ? "y" : "n"; }
    return control.value || fallback;
  }

  function applyShownIf(root) {
    var scope = root.querySelectorAll ? root : document;
    scope.querySelectorAll("[data-shown-if]").forEach(function (field) {
      var form = field.closest("form");
      if (!form) { return; }
      var wanted = JSON.parse(field.getAttribute("data-shown-values") || "[]");
      var value = controlValue(form, field.getAttribute("data-shown-if"),
        field.getAttribute("data-shown-default") || "");
      field.hidden = wanted.indexOf(value) < 0;
    });
  }

  // Typing in a search field has already fetched its list; the change event the field fires
  // when it loses focus would fetch the same list again and swap it in under the pointer, so a
  // click on a result (whose mousedown caused the blur) landed on a removed link and was lost.
  // Stopped in the capture phase, before the form's `change` trigger hears it.
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("form[hx-trigger] input[type=search]")) {
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.querySelector("[data-shown-if]")) { applyShownIf(form); }
  });

  // A choice that belongs to a radio button (the roll-out's branch organisation) selects it.
  document.addEventListener("change", function (event) {
    var id = event.target.getAttribute && event.target.getAttribute("data-selects");
    var radio = id && document.getElementById(id);
    if (radio) { radio.checked = true; }
  });

  document.addEventListener("htmx:load", function (event) {
    openDialogs(event.detail.elt);
    applyShownIf(event.detail.elt.closest ? (event.detail.elt.closest("form") || event.detail.elt) : document);
    var panel = event.detail.elt.matches && event.detail.elt.matches(".history-panel")
      ? event.detail.elt : null;
    if (panel) { panel.focus(); }
  });

  document.addEventListener("DOMContentLoaded", function () { applyShownIf(document); });

  // The list row of the service in the editor is marked (aria-current), also after the
  // list re-reads itself.
  function markCurrentRow() {
    document.querySelectorAll("table[data-arrow-nav] tbody tr").forEach(function (row) {
      var link = row.querySelector("a[href]");
      if (link && link.getAttribute("href") === window.location.pathname) {
        row.setAttribute("aria-current", "true");
      } else {
        row.removeAttribute("aria-current");
      }
    });
  }
  ["DOMContentLoaded", "htmx:afterSettle", "htmx:pushedIntoHistory", "htmx:historyRestore"]
    .forEach(function (name) { document.addEventListener(name, markCurrentRow); });

  // Menus (details.menu: the Verwaltung menu of the navigation, "Mehr") close when a click
  // or the keyboard focus goes elsewhere, so Tab past the last entry leaves none open.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!except || !menu.contains(except)) { menu.open = false; }
    });
  }
  document.addEventListener("click", function (event) { closeMenus(event.target); });
  document.addEventListener("focusin", function (event) { closeMenus(event.target); });

  // The server says "close-dialog" (HX-Trigger, bubbling up from the form) after a save.
  document.addEventListener("close-dialog", closeDialogs);

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("a, button") : null;
    if (!target) { return; }
    if (target.hasAttribute("data-close-dialog")) {
      var dialog = target.closest("dialog");
      // Let htmx send the request first; closing removes the link from the page.
      if (dialog) { setTimeout(function () { dialog.close(); }, 0); }
    }
    var menu = target.closest("details.menu");
    if (menu && !target.matches("summary")) { menu.open = false; }
    if (target.hasAttribute("data-remove-row")) {
      var row = target.closest(".table-row");
      var list = row && row.parentElement;
      if (row) { row.remove(); }
      var next = list && list.closest("fieldset") && list.closest("fieldset").querySelector(".add-row");
      if (next) { next.focus(); }
    }
    if (target.hasAttribute("data-close-panel")) {
      var panel = target.closest(".panel");
      if (panel) { panel.remove(); }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = event.target.closest && event.target.closest("details.menu[open]");
      if (open) { open.open = false; open.querySelector("summary").focus(); return; }
      closeMenus(null);
      return;
    }
    // Arrow keys move between the rows' links of a list marked data-arrow-nav.
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    var link = event.target.closest && event.target.closest("table[data-arrow-nav] tbody a");
    if (!link) { return; }
    var row = link.closest("tr");
    var sibling = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
    var next = sibling && sibling.querySelector("a");
    if (next) { event.preventDefault(); next.focus(); }
  });
})();

// Keys on every page: F1 opens the help of the screen (base.html's "Hilfe (F1)", or a more
// specific data-help-url: the interface in the editor, the interfaces screen's mask) in a
// modal dialog, not the browser's help; "/" puts the cursor into the page's search field.
(function () {
  "use strict";

  // Input types that take no typed text: "/" typed on them is no character of theirs.
  var NO_TEXT = ["button", "checkbox", "color", "file", "image", "radio", "range", "reset", "submit"];

  function takesText(element) {
    if (!element || !element.tagName) { return false; }
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") {
      return true;
    }
    return element.tagName === "INPUT" && NO_TEXT.indexOf((element.type || "").toLowerCase()) < 0;
  }

  function openHelp() {
    var source = document.querySelector("#editor [data-help-url]")
      || document.querySelector("main [data-help-url]") || document.querySelector("[data-help-url]");
    var slot = document.getElementById("help-slot");
    if (!source || !slot || !window.htmx) { return false; }
    if (!document.querySelector("dialog.help-dialog[open]")) {
      window.htmx.ajax("GET", source.getAttribute("data-help-url"),
        { source: slot, target: slot, swap: "innerHTML" });
    }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "F1") {
      if (openHelp()) { event.preventDefault(); }
      return;
    }
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
      return;
    }
    // Typed into a field, "/" is the user's character; behind an open dialog nothing is reachable.
    if (takesText(event.target) || document.querySelector("dialog[open]")) { return; }
    var search = document.querySelector("main input[type=search]");
    if (!search) { return; }
    event.preventDefault();
    search.focus();
  });

  // Opening the help is not an action on the page: the messages above stay (the page-wide
  // handler clears them before every request).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.matches && elt.matches("#help-slot, a.help-link")) { event.stopPropagation(); }
  }, true);
})();

// Ordering (templates/ordering): the live order statuses and the 'Bestellservice' step.
(function () {
  "use strict";

  // A status polling (an order page's status fragment, a list's one poll) is not the
  // user's doing: it must not clear the messages above (the page-wide handler clears them
  // before every request). Captured at the document, so the bubbling handlers never see it;
  // the request itself goes on.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.matches && elt.matches(".order-status[hx-get], .order-status-poll[hx-get]")) {
      event.stopPropagation();
    }
  }, true);

  // "Bestellen" refused: focus goes to the field with the reason.
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail.requestConfig;
    if (!config || config.verb !== "post" || !event.detail.target || event.detail.target.id !== "order-step") {
      return;
    }
    var invalid = document.querySelector("#order-step [aria-invalid='true']");
    if (invalid) { invalid.focus(); }
  });

  // A new article order refused, and every action on an order page (they answer with the
  // whole order, so the button pressed is gone): focus goes to the field with the reason;
  // else, on the order, to the Audoora cart while one is open, else to the order's heading.
  // The order reloading itself once sent (a get) moves it only from that heading, to the
  // cart that opened meanwhile.
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail.requestConfig;
    var id = event.detail.target && event.detail.target.id;
    if (!config || (id !== "new-order" && id !== "order-detail")) { return; }
    var root = document.getElementById(id);
    if (!root) { return; }
    var cart = document.getElementById("audoora-cart-heading");
    if (config.verb !== "post") {
      var active = document.activeElement;
      if (cart && (!active || active === document.body || active.id === "order-heading")) { cart.focus(); }
      return;
    }
    var next = root.querySelector("[aria-invalid='true']")
      || (id === "order-detail" ? cart || document.getElementById("order-heading") : null);
    if (next) { next.focus(); }
  });
})();

// Customer cards (templates/cards): the step Kundenkarte and the employee card answer with
// the whole panel, and a card order's Stornieren / Erneut senden with its row, so the control
// used is gone. Focus goes on where the user continues: after a refusal to the field with the
// reason; after "Karte bestellen" to the message saying when the card goes out; after a new
// template (the preview) back to the template; after a row's action to its message.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail.requestConfig;
    var id = event.detail.target && event.detail.target.id;
    if (!config || !id) { return; }
    if (/^card-order-\d+$/.test(id)) {
      var row = document.getElementById(id);
      var said = row && row.querySelector("[role='status'][tabindex='-1']");
      if (said) { said.focus(); }
      return;
    }
    if (id !== "card-step" && id !== "employee-card") { return; }
    var root = document.getElementById(id);
    if (!root) { return; }
    var next = root.querySelector("[aria-invalid='true']");
    if (!next && config.verb === "post") { next = root.querySelector(".notice[tabindex='-1']"); }
    if (!next && config.verb === "get") { next = document.getElementById(id + "-template"); }
    if (next) { next.focus(); }
  });
})();

// Document templates (templates/documents/_picker.html): the search dialog "Suchen …" fills
// the chosen template's name into the input it was opened for; arrow keys walk the results.
(function () {
  "use strict";

  function results(dialog) {
    return Array.prototype.slice.call(dialog.querySelectorAll("[data-pick-document]"));
  }

  document.addEventListener("click", function (event) {
    var choice = event.target.closest && event.target.closest("[data-pick-document]");
    var dialog = choice && choice.closest("dialog[data-fill]");
    if (!dialog) { return; }
    var input = document.getElementById(dialog.getAttribute("data-fill"));
    if (input && !input.readOnly && !input.disabled) {
      input.value = choice.getAttribute("data-pick-document");
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    dialog.close();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    var dialog = event.target.closest && event.target.closest("dialog[data-fill]");
    if (!dialog) { return; }
    var items = results(dialog);
    if (!items.length) { return; }
    var at = items.indexOf(event.target);
    var next;
    if (at < 0) {
      if (event.target.type !== "search" || event.key !== "ArrowDown") { return; }
      next = items[0];
    } else if (event.key === "ArrowDown") {
      next = items[Math.min(at + 1, items.length - 1)];
    } else {
      next = at === 0 ? dialog.querySelector("input[type=search]") : items[at - 1];
    }
    event.preventDefault();
    next.focus();
  });
})();

// The roll-out's preview table (templates/interfaces/_rollout_form.html): a check after a
// typed value swaps in each branch's status out of band, the inputs stay as typed. The
// status names the row's inputs that have a message (data-invalid); they are marked
// aria-invalid, the others no longer.
(function () {
  "use strict";

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var status = event.target; // the new element (the detail's target is the one it replaced)
    if (!status || !status.matches || !status.matches(".rollout-status[data-invalid]")) { return; }
    var invalid = status.getAttribute("data-invalid").split(" ");
    var inputs = document.querySelectorAll("[aria-describedby='" + status.id + "']");
    Array.prototype.forEach.call(inputs, function (input) {
      if (invalid.indexOf(input.name) >= 0) {
        input.setAttribute("aria-invalid", "true");
      } else {
        input.removeAttribute("aria-invalid");
      }
    });
  });
})();
