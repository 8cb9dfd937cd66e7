// Progressive enhancement only: every page works without this file.
// 1. New access requests show up without a manual reload (polls /app/updates.json). New cards
//    are added; cards already on the page are never touched, so nothing the customer has
//    ticked or unticked changes under their hands.
// 2. Buttons marked data-confirm ask before submitting.
// 3. Unticking a group on a request card ("Your profile") unticks and disables the fields under
//    it; ticking it again brings back what was ticked. (Without this file the server ignores
//    the fields of an unticked group, and CSS changes the card's sentence.)
// 4. A field with a pattern says what it expects (its title) instead of the browser's
//    "Please match the requested format".
(function () {
  "use strict";
  var POLL_MS = 5000;
  var badge = document.querySelector("[data-pending-count]");
  var notice = document.querySelector("[data-live-notice]");
  var region = document.querySelector("[data-live-requests]");
  var latest = region ? region.getAttribute("data-latest") || "" : null;

  function say(message, href) {
    if (!notice) return;
    notice.textContent = "";
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = message;
      notice.appendChild(link);
    } else {
      notice.textContent = message;
    }
  }

  function showCount(count) {
    if (!badge) return;
    badge.textContent = count ? String(count) : "";
    if (count) {
      var hint = document.createElement("span");
      hint.className = "visually-hidden";
      hint.textContent = " waiting";
      badge.appendChild(hint);
    }
    badge.hidden = !count;
  }

  function addNewCards() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html || !region) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-live-requests]");
        if (!fresh) return;
        var added = 0;
        Array.prototype.forEach.call(fresh.querySelectorAll("[id]"), function (item) {
          if (item.parentElement !== fresh || document.getElementById(item.id)) return;
          var anchor = region.querySelector("[data-empty]");
          if (anchor) anchor.remove();
          region.appendChild(document.importNode(item, true));
          added += 1;
        });
        region.setAttribute("data-latest", fresh.getAttribute("data-latest") || "");
        if (added) say(added === 1 ? "A new request has arrived." : added + " new requests have arrived.");
      });
  }

  function poll() {
    fetch("/app/updates.json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        showCount(data.pending);
        var newest = data.latest || "";
        if (region !== null) {
          if (newest !== latest) {
            latest = newest;
            addNewCards();
          }
        } else if (data.pending) {
          say(data.pending === 1 ? "1 request is waiting for you" : data.pending + " requests are waiting for you", "/app/requests");
        }
      })
      .catch(function () { /* offline or signed out: try again later */ });
  }

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  function syncGroup(toggle) {
    var group = toggle.closest("[data-share-group]");
    if (!group) return;
    Array.prototype.forEach.call(group.querySelectorAll("[data-group-member]"), function (box) {
      if (!toggle.checked && !box.disabled) {
        box.setAttribute("data-was-checked", box.checked ? "1" : "0");
        box.checked = false;
        box.disabled = true;
      } else if (toggle.checked && box.disabled) {
        box.disabled = false;
        box.checked = box.getAttribute("data-was-checked") !== "0";
      }
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-group-toggle]")) syncGroup(target);
  });
  // A form the browser restored (going back) may have an unticked group: match its fields.
  Array.prototype.forEach.call(document.querySelectorAll("[data-group-toggle]"), syncGroup);

  document.addEventListener("invalid", function (event) {
    var field = event.target;
    var message = field.getAttribute && field.getAttribute("data-pattern-message");
    if (message && field.validity.patternMismatch) field.setCustomValidity(message);
  }, true);
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-pattern-message")) field.setCustomValidity("");
  });

  // A print button only works with JavaScript, so it is shown only then.
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  if (badge) {
    poll();
    window.setInterval(poll, POLL_MS);
  }
})();
