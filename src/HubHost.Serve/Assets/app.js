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
      .then(function () { return waitForRefresh(); })
      .then(function () { window.location.reload(); })
      .catch(function (e) {
        if (status) status.textContent = "refresh failed: " + e;
        button.disabled = false;
      });
  }

  function waitForRefresh() {
    return new Promise(function (resolve, reject) {
      function poll() {
        fetch("/api/status").then(function (r) { return r.json(); }).then(function (s) {
          if (s.refreshing) setTimeout(poll, 500); else resolve();
        }, reject);
      }
      setTimeout(poll, 300);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var search = document.getElementById("search");
    var category = document.getElementById("category");
    if (search) search.addEventListener("input", filterCards);
    if (category) category.addEventListener("change", filterCards);
    filterCards();
    document.querySelectorAll("button.copy").forEach(function (b) {
      b.addEventListener("click", function () { copy(b); });
    });
    var refreshButton = document.getElementById("refresh");
    if (refreshButton) refreshButton.addEventListener("click", function () { refresh(refreshButton); });
    // While the first load of the repos runs, the index reloads itself when it is done.
    var status = document.getElementById("refresh-status");
    if (status && status.textContent.indexOf("refreshing") === 0 && document.getElementById("cards")) {
      waitForRefresh().then(function () { window.location.reload(); });
    }
  });
})();
