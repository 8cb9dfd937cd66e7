// Progressive enhancement only: every page works without this file.
// 1. New access requests show up without a manual reload (polls /app/updates.json). New cards
//    are added; cards already on the page are never touched, so nothing the customer has
//    ticked or unticked changes under their hands.
// 2. Buttons marked data-confirm ask before submitting.
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

  if (badge) {
    poll();
    window.setInterval(poll, POLL_MS);
  }
})();
