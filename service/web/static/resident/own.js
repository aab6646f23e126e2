// The reporter's link carries the tracking token in its fragment (#t=…), which is
// never sent to the server: hand it over with the page's own form, after dropping
// it from the address bar and the history.
(function () {
  "use strict";
  var match = /^#t=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
  var form = document.getElementById("own-open");
  if (!match || !form) { return; }
  history.replaceState(null, "", window.location.pathname + window.location.search);
  form.elements.token.value = match[1];
  form.submit();
})();
