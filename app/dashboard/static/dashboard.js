// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Copy buttons next to secrets shown once.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.focus();
    field.select();
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  // Selecting the whole secret on focus makes manual copying one keystroke.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("input[data-secret]")) event.target.select();
  });

  // Pool form: only the fields of the chosen credential kind are shown.
  var kinds = document.querySelectorAll('input[name="kind"]');
  if (kinds.length) {
    var groups = {
      api_key: ["pool-api-key"],
      oauth: ["pool-access", "pool-refresh", "pool-expires"]
    };
    var sync = function () {
      var chosen = document.querySelector('input[name="kind"]:checked');
      Object.keys(groups).forEach(function (kind) {
        groups[kind].forEach(function (id) {
          var input = document.getElementById(id);
          var label = document.querySelector('label[for="' + id + '"]');
          var hidden = !chosen || chosen.value !== kind;
          [input, label].forEach(function (el) { if (el) el.hidden = hidden; });
        });
      });
    };
    kinds.forEach(function (radio) { radio.addEventListener("change", sync); });
    sync();
  }
})();
