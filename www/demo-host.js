// The demo site's own script (not part of the widget). A real CMS would
// print these values into the page on the server instead.
//  - ?article=ID picks the article shown by the article placeholder;
//  - on /gallery/, ?lang= and ?theme= set the widget's language and theme,
//    and ?host=dark darkens the page alone (the widgets stay on "auto");
//  - an empty data-khabar-article-url becomes ?url= or the page's own address.
(function () {
  var params = new URLSearchParams(location.search);
  document.querySelectorAll('[data-khabar-article-url=""]').forEach(function (el) {
    el.setAttribute('data-khabar-article-url', params.get('url') || location.origin + location.pathname);
  });
  var id = params.get('article');
  var slot = document.querySelector('[data-khabar="article"]');
  if (id && slot) slot.setAttribute('data-khabar-article-id', id);
  var lang = params.get('lang');
  var theme = params.get('theme');
  document.querySelectorAll('[data-khabar]').forEach(function (el) {
    if (lang && el.closest('[data-gallery]')) el.setAttribute('data-khabar-lang', lang);
    if (theme) el.setAttribute('data-khabar-theme', theme);
  });
  if (lang && document.body.hasAttribute('data-gallery')) {
    document.documentElement.lang = lang;
    document.documentElement.dir = ['ar', 'fa', 'ur', 'he'].indexOf(lang) >= 0 ? 'rtl' : 'ltr';
  }
  if (theme === 'dark' || params.get('host') === 'dark') document.documentElement.classList.add('dark');
})();
