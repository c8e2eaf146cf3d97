// The case page's keyboard shortcuts and reply-template picker (docs/staff-guide.md, "Working fast on the case
// page"). A file of its own: the Content-Security-Policy runs no inline script. Without it the page still works:
// the links and buttons the shortcuts press are on the page, and the picker reloads the page with the text filled.
(function () {
  "use strict";

  function typingIn(target) {
    return Boolean(target && target.closest && target.closest("input, textarea, select, [contenteditable]"));
  }

  function focusBox(box) {
    box.scrollIntoView({ block: "center" });
    box.focus();
  }

  var shortcuts = {
    j: function () {
      var next = document.querySelector("a[data-shortcut=next]");
      if (!next) return false;
      window.location.assign(next.href);
      return true;
    },
    a: function () {
      var form = document.querySelector("form[data-shortcut=assign]");
      if (!form) return false;
      form.submit();
      return true;
    },
    r: function () {
      var box = document.getElementById("id_message-body");
      if (!box) return false;
      focusBox(box);
      return true;
    },
    n: function () {
      var box = document.getElementById("id_text");
      if (!box) return false;
      focusBox(box);
      return true;
    },
    "?": function () {
      var help = document.getElementById("case-keys");
      if (!help) return false;
      help.open = !help.open;
      help.querySelector("summary").focus();
      return true;
    },
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typingIn(event.target)) {
      // Esc leaves the field, so the next key is a shortcut again.
      if (event.key === "Escape" && event.target.blur) event.target.blur();
      return;
    }
    var shortcut = shortcuts[event.key];
    if (shortcut && shortcut()) event.preventDefault();
  });

  // The picker: fill the reply box at once, without reloading (the page holds every filled-in text).
  var picker = document.getElementById("reply-template");
  var data = document.getElementById("reply-texts");
  if (!picker || !data) return;
  var texts = JSON.parse(data.textContent);
  var box = document.getElementById(picker.getAttribute("data-target"));
  if (!box) return;

  function untouched() {
    var typed = box.value.trim();
    if (!typed) return true;
    return Object.keys(texts).some(function (key) {
      return texts[key].trim() === typed;
    });
  }

  function use(event) {
    if (event.type === "submit") event.preventDefault();
    var text = texts[picker.value];
    if (!text) return;
    if (!untouched() && !window.confirm(picker.getAttribute("data-confirm"))) return;
    box.value = text;
    // Tall enough to read the whole text while editing it, from its first line.
    box.rows = Math.min(Math.max(box.rows, text.split("\n").length + 1), 24);
    focusBox(box);
    box.setSelectionRange(0, 0);
    box.scrollTop = 0;
  }

  picker.addEventListener("change", use);
  picker.form.addEventListener("submit", use);
})();
