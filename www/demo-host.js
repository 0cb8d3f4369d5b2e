// The demo site's own script (not part of the widget): shows the article
// named in ?article= so that the latest-news links lead somewhere. A real
// CMS would print the id into the placeholder on the server instead.
(function () {
  var id = new URLSearchParams(location.search).get('article');
  var slot = document.querySelector('[data-khabar="article"]');
  if (id && slot) slot.setAttribute('data-article-id', id);
})();
