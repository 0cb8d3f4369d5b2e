// The floor: what a hand-written page costs for the same job as the widget's
// `article` kind. It fetches the same JSON, builds a comparable DOM (header,
// dateline, byline, summary, body blocks, an actions row, the comment list
// paged 20 at a time with a "more" button, and a comment form) with
// createElement/textContent, in a shadow root like the widget. No
// sanitizing of HTML bodies, no drafts, no retries, no i18n catalogs: it is
// a lower bound, not a competitor.

const PAGE = 20;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c != null) e.append(c);
  return e;
}

const text = (tag, t, attrs) => { const e = el(tag, attrs); e.textContent = t; return e; };

function block(b) {
  switch (b.type) {
    case 'paragraph': return text('p', b.text);
    case 'heading': return text('h2', b.text);
    case 'quote': return el('blockquote', {}, text('p', b.text), b.cite ? text('cite', b.cite) : null);
    case 'list': return el(b.ordered ? 'ol' : 'ul', {}, ...b.items.map((i) => text('li', i)));
    case 'image': return el('figure', {}, el('img', { src: b.url, alt: b.alt || '', loading: 'lazy' }),
      b.caption ? text('figcaption', b.caption) : null);
    default: return null;
  }
}

/** Mounts the article `id` from `api` into `host`; resolves when painted. */
export async function mountArticle(host, api, id, lang = 'ar') {
  const root = host.attachShadow({ mode: 'open' });
  const dateline = new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'short' });
  const relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const article = await (await fetch(`${api}/articles/${encodeURIComponent(id)}`)).json();
  const frame = el('div', { class: 'khabar', lang, dir: lang === 'en' ? 'ltr' : 'rtl' });
  const body = el('div', { class: 'article-body' });
  for (const b of article.body ?? []) { const e = block(b); if (e) body.append(e); }
  frame.append(el('article', {},
    el('header', {},
      article.section ? text('p', article.section, { class: 'section' }) : null,
      text('h1', article.title, { class: 'headline' }),
      el('p', { class: 'dateline' }, text('time', dateline.format(new Date(article.published_at)), { datetime: article.published_at })),
      article.author ? text('p', article.author, { class: 'byline' }) : null),
    article.summary ? text('p', article.summary, { class: 'summary' }) : null,
    article.image ? el('figure', {}, el('img', { src: article.image.url, alt: article.image.alt || '' })) : null,
    body,
    el('div', { class: 'actions' }, text('button', 'Share'), text('button', 'Print'), text('a', 'RSS', { href: '/feed.xml' }))));
  const list = el('ol', { class: 'comments-list' });
  const count = text('h2', '');
  const more = text('button', 'More comments', { class: 'more-comments', hidden: '' });
  const form = el('form', { class: 'comment-form' },
    text('label', 'Name', { for: 'n' }), el('input', { id: 'n', name: 'author' }),
    text('label', 'Comment', { for: 'b' }), el('textarea', { id: 'b', name: 'body' }),
    text('button', 'Send', { type: 'submit' }));
  frame.append(el('section', { class: 'comments' }, count, list, more, form));
  root.append(frame);

  let cursor = null;
  const now = Date.now();
  const loadPage = async () => {
    const url = `${api}/articles/${encodeURIComponent(id)}/comments?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await (await fetch(url)).json();
    count.textContent = `Comments (${page.total})`;
    const item = (c) => el('li', { class: 'comment', 'data-id': c.id },
      el('article', {},
        el('header', {}, text('bdi', c.author, { class: 'comment-author' }),
          text('time', relative.format(Math.round((Date.parse(c.created_at) - now) / 3_600_000), 'hour'), { datetime: c.created_at })),
        text('p', c.body, { class: 'comment-body' }),
        text('button', 'Reply', { class: 'reply' })),
      el('ol', { class: 'replies' }, ...(c.replies ?? []).map(item)));
    for (const c of page.items) list.append(item(c));
    cursor = page.next;
    if (cursor) more.removeAttribute('hidden'); else more.setAttribute('hidden', '');
  };
  more.addEventListener('click', () => { if (cursor) loadPage(); });
  await loadPage();
  host.dispatchEvent(new CustomEvent('baseline:ready'));
  return root;
}
