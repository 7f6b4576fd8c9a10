// veille: keyboard shortcuts for the review inbox (no framework, no build step).
// j / k: next / previous suggestion; a: accept; e: edit the value; r: reject; s: snooze.
(function () {
  "use strict";
  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".sugg")); }
  function current() {
    var el = document.activeElement;
    return el && el.closest ? el.closest(".sugg") : null;
  }
  function move(step) {
    var list = cards();
    if (!list.length) { return; }
    var i = list.indexOf(current());
    var next = list[Math.max(0, Math.min(list.length - 1, i < 0 ? 0 : i + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }
  function submit(action) {
    var card = current();
    if (!card) { return; }
    var form = card.querySelector('form[data-action="' + action + '"]');
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) { return; }
    if (!document.querySelector(".sugg")) { return; }
    var handled = true;
    switch (ev.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": submit("accept"); break;
      case "r": submit("reject"); break;
      case "s": submit("snooze"); break;
      case "e":
        var card = current();
        var input = card && card.querySelector('form[data-action="edit"] input[name="value"]');
        if (input) { input.focus(); input.select(); }
        break;
      default: handled = false;
    }
    if (handled) { ev.preventDefault(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector(".sugg");
    if (first && !document.querySelector("[autofocus]")) { first.focus({ preventScroll: true }); }
  });
})();
