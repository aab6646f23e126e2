// A resident's private links carry their secret in the fragment (#t=… the tracking
// token of the reporter's own view, #r=… the reference of a rating link), which is
// never sent to the server: hand it to the page's form that takes it (data-fragment
// names the letter, data-field the field), after dropping it from the address bar
// and the history.
(function () {
  "use strict";
  var match = /^#([a-z])=([A-Za-z0-9_.-]+)$/.exec(window.location.hash);
  var form = match && document.querySelector('form[data-fragment="' + match[1] + '"]');
  if (!form) { return; }
  history.replaceState(null, "", window.location.pathname + window.location.search);
  form.elements[form.getAttribute("data-field")].value = match[2];
  form.submit();
})();
