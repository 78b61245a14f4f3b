// switchyard's dashboard: follows the page's live stream and swaps in each
// newer rendering of <main>, whole (the server renders; this only places it).
// Hand-written, no build step; the page reads the same without it.
'use strict';
(function () {
  var main = document.getElementById('page');
  var status = document.getElementById('live-status');
  if (!main || !main.dataset.live || !window.EventSource) return;

  // The element a keyboard user is on, found again after the swap by its link or key.
  function keyOf(el) {
    return el && main.contains(el) ? el.getAttribute('data-key') || el.getAttribute('href') : null;
  }
  function refocus(key) {
    if (!key) return;
    var candidates = main.querySelectorAll('[href], [data-key]');
    for (var i = 0; i < candidates.length; i++) {
      if ((candidates[i].getAttribute('data-key') || candidates[i].getAttribute('href')) === key) return candidates[i].focus();
    }
  }

  var source = new EventSource(main.dataset.live);
  source.addEventListener('open', function () {
    status.textContent = 'Live: this page updates itself.';
  });
  source.addEventListener('error', function () {
    if (source.readyState !== EventSource.CLOSED) status.textContent = 'Connection lost; reconnecting…';
  });
  source.addEventListener('page', function (event) {
    var page = JSON.parse(event.data);
    if (page.digest === main.dataset.digest) return;
    var key = keyOf(document.activeElement);
    main.innerHTML = page.html;
    main.dataset.digest = page.digest;
    document.title = page.title;
    refocus(key);
  });
  // The deploy ended: its page will not change again (the browser would reconnect otherwise).
  source.addEventListener('end', function () {
    source.close();
    status.textContent = 'Finished: this page will not change again.';
  });
})();
