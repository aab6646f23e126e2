/* The report page's forms with htmx: the parts that change are swapped in place (see staff/report.html).
 *
 * A refusal (403, 409 conflict, 422) is a page to show, not a failure: it is
 * swapped like a success, and its error summary takes the focus. After a
 * success the message the server flashed is put in the page's live region
 * (#report-status), and the focus goes back to the button of the form sent,
 * so a keyboard user carries on where they were. Without JavaScript each
 * form is a plain post.
 */
(function () {
  "use strict";
  var status = document.getElementById("report-status");
  if (!status) { return; }
  var SHOWN = [403, 409, 422];
  var sentFrom = null;

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest("form");
    sentFrom = form ? form.getAttribute("class") : null;
    status.textContent = "";
  });

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
    if (!answer.getElementById("report-actions")) {
      // Another page answered (the report left the member's scope, a 404): go there as a plain post would.
      event.detail.shouldSwap = false;
      window.location.assign(xhr.responseURL || window.location.href);
      return;
    }
    if (SHOWN.indexOf(xhr.status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    var flashed = [];
    answer.querySelectorAll(".flash-messages .flash").forEach(function (message) { flashed.push(message.textContent.trim()); });
    status.classList.toggle("report-status-error", answer.querySelector(".flash-messages .flash-error") !== null);
    status.textContent = flashed.join(" ");
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    var error = document.querySelector("#report-error .error-summary");
    if (error) { error.focus(); return; }
    var form = sentFrom && document.querySelector("#report-actions form[class='" + sentFrom + "'], #report-facts form[class='" + sentFrom + "']");
    var button = form && form.querySelector("button[type=submit]");
    (button || status).focus();
  });
})();
