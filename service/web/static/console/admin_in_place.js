/* The administration lists and actions that htmx swaps in place (see staff/admin/in_place.html).
 *
 * A swapped region may carry an outcome ([data-announce], an error summary, a flash message, a
 * list's count): the first one's words are
 * put in one live region that stays on the page, so a screen reader hears them, since a live
 * region swapped in anew is often not read. When the element that had the focus is gone with
 * the swap (a pager link, a button of a section that disappears), the focus goes to the
 * swapped region, not back to the top of the page.
 */
(function () {
  "use strict";
  var live = document.createElement("div");
  live.id = "in-place-status";
  live.className = "visually-hidden";
  live.setAttribute("role", "status");
  document.body.appendChild(live);

  document.body.addEventListener("htmx:afterSettle", function (event) {
    var region = event.detail.elt;
    if (!region || !region.isConnected) {
      region = document.getElementById(event.detail.target && event.detail.target.id) || document.getElementById("main");
    }
    if (!region) { return; }
    var outcome = region.querySelector("[data-announce], .error-summary, .flash, .result-summary");
    if (outcome) {
      // Emptied first, so the same words said twice are heard twice.
      live.textContent = "";
      window.setTimeout(function () { live.textContent = outcome.textContent.trim(); }, 50);
    }
    var focused = document.activeElement;
    if (!focused || focused === document.body || !focused.isConnected) {
      var place = region.closest("[tabindex]") || region;
      if (!place.hasAttribute("tabindex")) { place.setAttribute("tabindex", "-1"); }
      place.focus({ preventScroll: true });
    }
  });
})();
