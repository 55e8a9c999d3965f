// hubhost serve: search and category filter without a page reload, copy buttons, refresh. No inline script
// anywhere (the Content-Security-Policy forbids it); every string from a repo reaches this file as text.
(function () {
  "use strict";

  function filterCards() {
    var search = document.getElementById("search");
    var category = document.getElementById("category");
    if (!search || !category) return;
    var terms = search.value.toLowerCase().split(/\s+/).filter(function (t) { return t.length > 0; });
    var wanted = category.value;
    var cards = document.querySelectorAll("#cards .card");
    var shown = 0;
    cards.forEach(function (card) {
      var text = card.getAttribute("data-search") || "";
      var ok = (wanted === "" || card.getAttribute("data-category") === wanted) &&
        terms.every(function (t) { return text.indexOf(t) >= 0; });
      card.hidden = !ok;
      if (ok) shown++;
    });
    var count = document.getElementById("count");
    if (count) count.textContent = shown === cards.length ? cards.length + " entrypoints" : shown + " of " + cards.length + " entrypoints";
    var none = document.getElementById("no-match");
    if (none) none.hidden = shown !== 0;
  }

  function showCopied(text, copied) {
    var status = document.getElementById("copy-status");
    var fallback = document.getElementById("copy-fallback");
    if (copied) {
      if (status) status.textContent = "Copied: " + text;
      if (fallback) fallback.hidden = true;
    } else {
      if (status) status.textContent = "Copy it from the box below (Ctrl+C):";
      if (fallback) {
        fallback.value = text;
        fallback.hidden = false;
        fallback.focus();
        fallback.select();
      }
    }
  }

  function copy(button) {
    var text = button.getAttribute("data-copy") || "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { showCopied(text, true); }, function () { showCopied(text, false); });
    } else {
      showCopied(text, false);
    }
  }

  function refresh(button) {
    var status = document.getElementById("refresh-status");
    button.disabled = true;
    if (status) status.textContent = "refreshing…";
    fetch("/api/refresh", { method: "POST", headers: { "X-HubHost-Refresh": "1" } })
      .then(function () { reloadWhenDone = true; setTimeout(watch, 300); })
      .catch(function (e) {
        if (status) status.textContent = "refresh failed: " + e;
        button.disabled = false;
      });
  }

  // Every page follows the server: when a refresh (the button, another user's, the interval) changes what the page
  // shows, the server's generation moves on and the page reloads, keeping the search and category.
  var pollTimer = null;
  var reloadWhenDone = false; // the Refresh button: reload once the refresh it asked for is over, changed or not
  function watch() {
    if (pollTimer) clearTimeout(pollTimer);
    fetch("/api/status").then(function (r) { return r.json(); }).then(function (s) {
      var shown = document.body.getAttribute("data-generation");
      if ((shown !== null && String(s.generation) !== shown) || (reloadWhenDone && !s.refreshing)) {
        keepFilters();
        window.location.reload();
        return;
      }
      var status = document.getElementById("refresh-status");
      var button = document.getElementById("refresh");
      if (!s.refreshing) {
        if (button) button.disabled = false;
        if (status && s.lastRefresh) status.textContent = "refreshed " + s.lastRefresh.replace("T", " ").replace(/\..*$/, "").replace(/\+00:00$|Z$/, "") + " UTC";
      } else if (status) {
        status.textContent = "refreshing…";
      }
      pollTimer = setTimeout(watch, s.refreshing ? 1000 : 3000);
    }, function () { pollTimer = setTimeout(watch, 5000); });
  }

  function keepFilters() {
    var search = document.getElementById("search");
    var category = document.getElementById("category");
    try {
      if (search) sessionStorage.setItem("hubhost-search", search.value);
      if (category) sessionStorage.setItem("hubhost-category", category.value);
    } catch (e) { /* storage off: the filters start empty */ }
  }

  function restoreFilters() {
    var search = document.getElementById("search");
    var category = document.getElementById("category");
    try {
      var s = sessionStorage.getItem("hubhost-search");
      var c = sessionStorage.getItem("hubhost-category");
      if (search && s !== null) search.value = s;
      if (category && c !== null && Array.prototype.some.call(category.options, function (o) { return o.value === c; })) category.value = c;
      sessionStorage.removeItem("hubhost-search");
      sessionStorage.removeItem("hubhost-category");
    } catch (e) { /* storage off */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var search = document.getElementById("search");
    var category = document.getElementById("category");
    if (search) search.addEventListener("input", filterCards);
    if (category) category.addEventListener("change", filterCards);
    restoreFilters();
    filterCards();
    document.querySelectorAll("button.copy").forEach(function (b) {
      b.addEventListener("click", function () { copy(b); });
    });
    var refreshButton = document.getElementById("refresh");
    if (refreshButton) refreshButton.addEventListener("click", function () { refresh(refreshButton); });
    pollTimer = setTimeout(watch, 1000);
  });
})();
