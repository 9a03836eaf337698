// Every visible text of the page whose contrast against what is drawn under it is below
// 4.5:1 (WCAG AA), as "ratio colour text element"; disabled controls are exempt.
() => {
  const parse = c => { const m = c && c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const blend = (fg, bg) => [0,1,2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
  const opacity = el => { let op = 1; for (let e = el; e; e = e.parentElement) op *= Number(getComputedStyle(e).opacity); return op; };
  // What is drawn under the text: the elements at its centre, topmost first, to the first opaque one.
  const background = (el, x, y) => {
    const layers = [];
    for (const e of document.elementsFromPoint(x, y)) {
      if (e === el || el.contains(e)) continue;
      const c = parse(getComputedStyle(e).backgroundColor) || parse(e instanceof SVGElement ? getComputedStyle(e).fill : null);
      if (e instanceof SVGElement && !(e.tagName === 'rect' || e.tagName === 'path')) continue;
      if (c && c[3] > 0) { c[3] *= opacity(e); layers.push(c); if (c[3] >= 0.999) break; }
    }
    let bg = [255, 255, 255]; for (const c of layers.reverse()) bg = blend(c, bg); return bg;
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const t = walker.currentNode; if (!t.textContent.trim()) continue;
    const el = t.parentElement; if (!el || seen.has(el)) continue; seen.add(el);
    const r = el.getBoundingClientRect(); if (r.width === 0 || r.height === 0) continue;
    if (r.bottom < 0 || r.top > innerHeight || r.right < 0 || r.left > innerWidth) continue;
    const st = getComputedStyle(el); if (st.visibility === 'hidden' || st.display === 'none') continue;
    if (el.closest('[disabled], [aria-disabled="true"], [data-disabled="true"]')) continue;
    const fg = parse(el instanceof SVGElement ? st.fill : st.color); if (!fg) continue;
    if (opacity(el) < 0.05) continue;  // not drawn (e.g. a slider's range, shown on hover)
    fg[3] *= opacity(el) * (el instanceof SVGElement ? Number(st.fillOpacity || 1) : 1);
    const bg = background(el, r.left + r.width / 2, r.top + r.height / 2);
    const c = blend(fg, bg);
    const L1 = lum(c), L2 = lum(bg); const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    if (ratio < 4.5) out.push(`${ratio.toFixed(2)} ${el instanceof SVGElement ? st.fill : st.color} "${t.textContent.trim().slice(0, 40)}" ${el.closest('[data-testid]')?.getAttribute('data-testid')}`);
  }
  return out;
}
