// The readable API reference served at /api/docs: renders /api/openapi.json (OpenAPI 3.1).
import { h } from '/js/dom.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
const main = document.getElementById('docs-main');
const toc = document.getElementById('docs-toc');
const search = document.getElementById('docs-search');
const count = document.getElementById('docs-count');

let spec = null;

/* ------------------------------------------------------------------ $ref and types */

function refName(ref) {
  return decodeURIComponent(String(ref).split('/').pop()).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Resolves a local JSON pointer such as "#/components/schemas/User". */
function resolvePointer(ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return null;
  let node = spec;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node == null || typeof node !== 'object') return null;
    node = node[key];
  }
  return node ?? null;
}

/** Follows $ref chains on parameters, responses, request bodies, headers (not schemas: those keep their names). */
function deref(obj) {
  let o = obj;
  for (let i = 0; i < 10 && o && o.$ref; i++) o = resolvePointer(o.$ref) || {};
  return o || {};
}

function schemaLink(ref) {
  const name = refName(ref);
  return h('a', { href: `#schema-${slug(name)}` }, name);
}

function typesOf(schema) {
  if (!schema) return [];
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.type) return [schema.type];
  return [];
}

function isNullSchema(s) {
  return s && (s.type === 'null' || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === 'null'));
}

/** Whether null is allowed (3.1 type arrays, oneOf/anyOf with null, or 3.0 nullable). */
function isNullable(schema) {
  if (!schema) return false;
  if (schema.nullable) return true;
  if (typesOf(schema).includes('null')) return true;
  const alts = schema.oneOf || schema.anyOf;
  return Array.isArray(alts) && alts.some(isNullSchema);
}

/** The schema without its null alternative (so "User | null" renders as User, marked nullable). */
function nonNull(schema) {
  if (!schema) return schema;
  const alts = schema.oneOf || schema.anyOf;
  if (Array.isArray(alts)) {
    const rest = alts.filter((s) => !isNullSchema(s));
    if (rest.length === 1 && Object.keys(schema).every((k) => ['oneOf', 'anyOf', 'description', 'default', 'example', 'nullable', 'title'].includes(k))) {
      return { ...rest[0], description: schema.description ?? rest[0].description };
    }
  }
  return schema;
}

/** A DOM fragment describing a schema's type, with links to named schemas. */
function typeLabel(schema, depth = 0) {
  if (!schema || depth > 6) return h('span', null, 'any');
  if (schema.$ref) return h('span', null, schemaLink(schema.$ref));
  const s = nonNull(schema);
  if (s !== schema) return typeLabel(s, depth + 1);
  const alts = s.oneOf || s.anyOf;
  if (Array.isArray(alts)) {
    const parts = alts.filter((a) => !isNullSchema(a));
    return h('span', null, parts.flatMap((a, i) => [i ? ' | ' : '', typeLabel(a, depth + 1)]));
  }
  if (Array.isArray(s.allOf)) {
    return h('span', null, s.allOf.flatMap((a, i) => [i ? ' & ' : '', typeLabel(a, depth + 1)]));
  }
  const types = typesOf(s).filter((t) => t !== 'null');
  if (!types.length) {
    if (s.properties) return h('span', null, 'object');
    if (s.enum) return h('span', null, typeof s.enum[0] === 'number' ? 'number' : 'string');
    if ('const' in s) return h('span', null, JSON.stringify(s.const));
    return h('span', null, 'any');
  }
  return h('span', null, types.flatMap((t, i) => {
    let part;
    if (t === 'array') part = h('span', null, 'array<', typeLabel(s.items, depth + 1), '>');
    else if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
      part = h('span', null, 'map<string, ', typeLabel(s.additionalProperties, depth + 1), '>');
    } else part = h('span', null, t + (s.format ? ` (${s.format})` : ''));
    return [i ? ' | ' : '', part];
  }));
}

function constraints(schema) {
  const s = nonNull(schema) || {};
  const out = [];
  const add = (text) => out.push(h('span', { class: 'constraint' }, text));
  if (isNullable(schema)) add('nullable');
  if (Array.isArray(s.enum)) add(`one of: ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if ('const' in s) add(`= ${JSON.stringify(s.const)}`);
  if (s.minimum !== undefined) add(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined && typeof s.exclusiveMinimum === 'number') add(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) add(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined && typeof s.exclusiveMaximum === 'number') add(`< ${s.exclusiveMaximum}`);
  if (s.minLength !== undefined) add(`min length ${s.minLength}`);
  if (s.maxLength !== undefined) add(`max length ${s.maxLength}`);
  if (s.minItems !== undefined) add(`min items ${s.minItems}`);
  if (s.maxItems !== undefined) add(`max items ${s.maxItems}`);
  if (s.pattern) add(`pattern ${s.pattern}`);
  if (s.default !== undefined) add(`default ${JSON.stringify(s.default)}`);
  if (s.example !== undefined && typeof s.example !== 'object') add(`e.g. ${JSON.stringify(s.example)}`);
  if (s.deprecated) add('deprecated');
  if (s.readOnly) add('read-only');
  if (s.writeOnly) add('write-only');
  return out;
}

/** The object schema that holds the fields to list (following $ref, arrays and allOf). */
function fieldsSource(schema, seen = new Set()) {
  if (!schema) return null;
  if (schema.$ref) {
    if (seen.has(schema.$ref)) return null;
    seen.add(schema.$ref);
    return fieldsSource(resolvePointer(schema.$ref), seen);
  }
  const s = nonNull(schema);
  if (s !== schema) return fieldsSource(s, seen);
  if (Array.isArray(s.allOf)) {
    const merged = { type: 'object', properties: {}, required: [] };
    for (const part of s.allOf) {
      const src = fieldsSource(part, seen);
      if (src) {
        Object.assign(merged.properties, src.properties || {});
        merged.required.push(...(src.required || []));
      }
    }
    return Object.keys(merged.properties).length ? merged : null;
  }
  if (s.properties) return s;
  if (typesOf(s).includes('array')) return fieldsSource(s.items, seen);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') return fieldsSource(s.additionalProperties, seen);
  return null;
}

/* ------------------------------------------------------------------ schema rendering */

function description(text) {
  if (!text) return null;
  return h('div', { class: 'op-desc' }, String(text).split(/\n{2,}/).map((para) => h('p', null, inline(para))));
}

/** Renders `code` spans and [links](url) from a tiny subset of Markdown, as DOM nodes (never HTML). */
function inline(text) {
  const out = [];
  const re = /`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|\*\*([^*]+)\*\*/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1]) out.push(h('code', null, m[1]));
    else if (m[2]) out.push(/^(https?:|\/|#)/.test(m[3]) ? h('a', { href: m[3] }, m[2]) : m[2]);
    else if (m[4]) out.push(h('strong', null, m[4]));
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** A table of an object's fields; nested objects expand on demand. */
function fieldsTable(source, depth, seen) {
  const required = new Set(source.required || []);
  const rows = Object.entries(source.properties || {}).map(([name, prop]) => {
    const nested = depth < 5 ? nestedFields(prop, depth, seen) : null;
    const desc = (prop.$ref ? null : (nonNull(prop) || {}).description) || prop.description;
    return h('tr', null,
      h('td', null, h('span', { class: 'prop-name' }, name), required.has(name) ? h('span', { class: 'req' }, 'required') : h('span', { class: 'opt' }, 'optional')),
      h('td', null, h('span', { class: 'type' }, typeLabel(prop))),
      h('td', null, desc ? h('div', null, inline(desc)) : null, constraints(prop), nested));
  });
  if (!rows.length) return h('p', { class: 'muted' }, 'An object with no listed fields.');
  return h('div', { class: 'schema-box' }, h('table', { class: 'schema-table' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Description'))),
    h('tbody', null, rows)));
}

function nestedFields(prop, depth, seen) {
  const refKey = findRef(prop);
  if (refKey && seen.has(refKey)) return null;
  const source = fieldsSource(prop);
  if (!source) return null;
  const details = h('details', { class: 'schema-nested' }, h('summary', null, `Fields of ${refKey ? refName(refKey) : 'this object'}`));
  details.addEventListener('toggle', () => {
    if (details.open && details.childElementCount === 1) {
      const next = new Set(seen);
      if (refKey) next.add(refKey);
      details.append(fieldsTable(source, depth + 1, next));
    }
  }, { once: false });
  return details;
}

function findRef(schema) {
  if (!schema) return null;
  if (schema.$ref) return schema.$ref;
  const s = nonNull(schema);
  if (s !== schema) return findRef(s);
  if (typesOf(s).includes('array')) return findRef(s.items);
  return null;
}

/** Describes a body or response schema: its type line, its fields, and an example. */
function schemaView(schema) {
  if (!schema) return null;
  const source = fieldsSource(schema);
  const ref = findRef(schema);
  const seen = new Set(ref ? [ref] : []);
  const s = schema.$ref ? resolvePointer(schema.$ref) : schema;
  return h('div', null,
    h('div', { class: 'schema-line' }, h('span', { class: 'type' }, typeLabel(schema)), constraints(schema)),
    s && s.description && !schema.$ref ? description(s.description) : null,
    source ? fieldsTable(source, 0, seen) : null,
    exampleBlock(schema));
}

/* ------------------------------------------------------------------ examples */

function exampleOf(schema, depth = 0, seen = new Set()) {
  if (!schema || depth > 14) return null;
  if (schema.$ref) {
    if (seen.has(schema.$ref)) return {};
    const next = new Set(seen);
    next.add(schema.$ref);
    return exampleOf(resolvePointer(schema.$ref), depth + 1, next);
  }
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  const alts = schema.oneOf || schema.anyOf;
  if (Array.isArray(alts) && alts.length) {
    const pick = alts.find((a) => !isNullSchema(a)) || alts[0];
    return exampleOf(pick, depth + 1, seen);
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign({}, ...schema.allOf.map((p) => exampleOf(p, depth + 1, seen)).filter((v) => v && typeof v === 'object'));
  }
  const type = typesOf(schema).find((t) => t !== 'null') || (schema.properties ? 'object' : null);
  switch (type) {
    case 'object': {
      const out = {};
      for (const [k, v] of Object.entries(schema.properties || {})) out[k] = exampleOf(v, depth + 1, seen);
      if (!schema.properties && schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        out.key = exampleOf(schema.additionalProperties, depth + 1, seen);
      }
      return out;
    }
    case 'array': return [exampleOf(schema.items, depth + 1, seen)];
    case 'integer': return schema.minimum !== undefined ? schema.minimum : 1;
    case 'number': return schema.minimum !== undefined ? schema.minimum : 1.5;
    case 'boolean': return true;
    case 'string':
      if (schema.format === 'date-time') return '2026-01-26T10:00:00.000Z';
      if (schema.format === 'date') return '2026-01-26';
      if (schema.format === 'email') return 'ada@example.com';
      if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com/';
      if (schema.format === 'uuid') return '7f2c1a9e-3b4d-4e5f-8a6b-1c2d3e4f5a6b';
      return 'string';
    default: return null;
  }
}

function exampleBlock(schema, explicit) {
  const value = explicit !== undefined ? explicit : exampleOf(schema);
  if (value === null || value === undefined) return null;
  return h('details', { class: 'example' }, h('summary', null, 'Example'),
    h('pre', { class: 'code' }, h('code', null, JSON.stringify(value, null, 2))));
}

function mediaExample(media) {
  if (!media) return undefined;
  if (media.example !== undefined) return media.example;
  if (media.examples && typeof media.examples === 'object') {
    const first = Object.values(media.examples)[0];
    if (first) return deref(first).value;
  }
  return undefined;
}

/* ------------------------------------------------------------------ operations */

function slug(text) {
  return String(text).toLowerCase().replace(/[{}]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function opId(method, path, op) {
  return `op-${slug(op.operationId || `${method}-${path}`)}`;
}

function pathLabel(path) {
  return h('span', { class: 'op-path' }, path.split(/(\{[^}]+\})/).map((part) => (part.startsWith('{') ? h('span', { class: 'param' }, part) : part)));
}

function securityOf(op) {
  const sec = op.security !== undefined ? op.security : spec.security;
  if (!Array.isArray(sec) || !sec.length) return null;
  if (sec.some((req) => Object.keys(req).length === 0)) return 'optional';
  return sec.flatMap((req) => Object.keys(req));
}

function parametersSection(params) {
  if (!params.length) return null;
  return h('section', null, h('h3', null, 'Parameters'),
    h('div', { class: 'schema-box' }, h('table', { class: 'schema-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'In'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Description'))),
      h('tbody', null, params.map((p) => h('tr', null,
        h('td', null, h('span', { class: 'prop-name' }, p.name), p.required ? h('span', { class: 'req' }, 'required') : h('span', { class: 'opt' }, 'optional')),
        h('td', null, p.in),
        h('td', null, h('span', { class: 'type' }, typeLabel(p.schema))),
        h('td', null, p.description ? h('div', null, inline(p.description)) : null, constraints(p.schema || {}), p.deprecated ? h('span', { class: 'constraint' }, 'deprecated') : null)))))));
}

function bodySection(requestBody) {
  if (!requestBody) return null;
  const body = deref(requestBody);
  const content = body.content || {};
  return h('section', null,
    h('h3', null, 'Request body', body.required ? h('span', { class: 'req' }, 'required') : h('span', { class: 'opt' }, 'optional')),
    body.description ? description(body.description) : null,
    Object.entries(content).map(([type, media]) => h('div', null,
      h('p', { class: 'hint' }, h('code', null, type)),
      schemaView(media.schema),
      mediaExample(media) !== undefined ? exampleBlock(null, mediaExample(media)) : null)));
}

function responsesSection(responses) {
  const entries = Object.entries(responses || {});
  if (!entries.length) return null;
  return h('section', null, h('h3', null, 'Responses'),
    entries.map(([code, raw]) => {
      const res = deref(raw);
      const cls = /^[1-5]/.test(code) ? `status-${code[0]}` : 'status-d';
      const headers = Object.entries(res.headers || {});
      return h('div', { class: 'response' },
        h('div', { class: 'response-head' },
          h('span', { class: `status ${cls}` }, code),
          h('span', null, inline(res.description || ''))),
        headers.length ? h('p', { class: 'hint' }, 'Headers: ', headers.flatMap(([name, hd], i) => [i ? ', ' : '', h('code', null, name), deref(hd).description ? ` — ${deref(hd).description}` : ''])) : null,
        Object.entries(res.content || {}).map(([type, media]) => h('div', null,
          Object.keys(res.content).length > 1 || type !== 'application/json' ? h('p', { class: 'hint' }, h('code', null, type)) : null,
          schemaView(media.schema),
          mediaExample(media) !== undefined ? exampleBlock(null, mediaExample(media)) : null)));
    }));
}

function operationCard(method, path, op, pathItem) {
  const id = opId(method, path, op);
  const params = [...(pathItem.parameters || []), ...(op.parameters || [])].map(deref);
  const unique = new Map(params.map((p) => [`${p.in}:${p.name}`, p]));
  const security = securityOf(op);
  const article = h('article', { class: ['op', op.deprecated && 'deprecated'], id, 'aria-labelledby': `${id}-title` },
    h('header', { class: 'op-head' },
      h('span', { class: `method method-${method}` }, method.toUpperCase()),
      h('h3', { class: 'sr-only', id: `${id}-title` }, `${method.toUpperCase()} ${path}${op.summary ? ` — ${op.summary}` : ''}`),
      pathLabel(path),
      op.summary ? h('span', { class: 'op-summary' }, op.summary) : null,
      h('a', { class: 'op-anchor', href: `#${id}`, 'aria-label': `Link to ${method.toUpperCase()} ${path}` }, '#')),
    h('div', { class: 'op-body' },
      h('div', { class: 'op-meta' },
        security === null ? h('span', { class: 'badge badge-success' }, 'No sign-in needed')
          : security === 'optional' ? h('span', { class: 'badge badge-neutral' }, 'Sign-in optional')
            : h('span', { class: 'badge badge-accent' }, `Requires sign-in (${[...new Set(security)].join(' or ')})`),
        op.deprecated ? h('span', { class: 'badge badge-warning' }, 'Deprecated') : null,
        op.operationId ? h('span', { class: 'constraint' }, op.operationId) : null),
      description(op.description),
      parametersSection([...unique.values()]),
      bodySection(op.requestBody),
      responsesSection(op.responses)));
  article.dataset.search = [method, path, op.summary, op.description, op.operationId, ...(op.tags || [])].filter(Boolean).join(' ').toLowerCase();
  return article;
}

/* ------------------------------------------------------------------ page */

function collect() {
  const groups = new Map();
  for (const t of spec.tags || []) groups.set(t.name, { tag: t, ops: [] });
  for (const [path, pathItem] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      const op = pathItem[method];
      if (!op) continue;
      const tags = op.tags && op.tags.length ? op.tags : ['Other'];
      for (const tag of tags.slice(0, 1)) {
        if (!groups.has(tag)) groups.set(tag, { tag: { name: tag }, ops: [] });
        groups.get(tag).ops.push({ method, path, op, pathItem });
      }
    }
  }
  return [...groups.values()].filter((g) => g.ops.length);
}

function intro() {
  const info = spec.info || {};
  const schemes = Object.entries(spec.components?.securitySchemes || {});
  return h('section', { class: 'docs-intro' },
    h('h1', { tabindex: '-1' }, info.title || 'API reference'),
    description(info.description),
    h('dl', { class: 'facts' },
      info.version ? [h('dt', null, 'Version'), h('dd', null, info.version)] : null,
      h('dt', null, 'OpenAPI'), h('dd', null, spec.openapi || '—'),
      h('dt', null, 'Base URL'), h('dd', null, h('code', null, (spec.servers && spec.servers[0]?.url) || location.origin)),
      schemes.length ? [h('dt', null, 'Authentication'), h('dd', null, schemes.map(([name, s]) => h('div', null,
        h('code', null, name), ' — ',
        s.type === 'http' ? `HTTP ${s.scheme}${s.bearerFormat ? ` (${s.bearerFormat})` : ''}`
          : s.type === 'apiKey' ? `${s.in} “${s.name}”` : s.type,
        s.description ? h('span', { class: 'muted' }, ' — ', inline(s.description)) : null)))] : null,
      h('dt', null, 'Errors'), h('dd', null, 'Every error is JSON: ', h('code', null, '{"error": {"code", "message", "fields"}}'), '.')));
}

function render() {
  const groups = collect();
  const tocNodes = [];
  const sections = [];
  const tocLinks = new Map();

  for (const { tag, ops } of groups) {
    const tagId = `tag-${slug(tag.name)}`;
    const list = h('ul', null, ops.map(({ method, path, op }) => {
      const id = opId(method, path, op);
      const link = h('a', { href: `#${id}`, title: op.summary || '' },
        h('span', { class: `method method-${method}` }, method), h('span', { class: 'toc-path' }, path));
      const li = h('li', null, link);
      tocLinks.set(id, li);
      return li;
    }));
    tocNodes.push(h('div', { class: 'toc-group', dataset: { tag: tagId } }, h('h2', null, h('a', { href: `#${tagId}` }, tag.name)), list));
    sections.push(h('section', { class: 'docs-tag', id: tagId, 'aria-labelledby': `${tagId}-h` },
      h('h2', { id: `${tagId}-h` }, tag.name),
      tag.description ? description(tag.description) : null,
      ops.map(({ method, path, op, pathItem }) => operationCard(method, path, op, pathItem))));
  }

  const schemas = Object.entries(spec.components?.schemas || {});
  if (schemas.length) {
    tocNodes.push(h('div', { class: 'toc-group toc-schemas' }, h('h2', null, h('a', { href: '#schemas' }, `Schemas (${schemas.length})`))));
    sections.push(h('section', { class: 'docs-tag', id: 'schemas', 'aria-labelledby': 'schemas-h' },
      h('h2', { id: 'schemas-h' }, 'Schemas'),
      h('p', null, 'The objects the API reads and writes. Fields are camelCase; every field is always present, absent values are null.'),
      schemas.map(([name, schema]) => {
        const source = fieldsSource(schema);
        return h('section', { class: 'schema-section', id: `schema-${slug(name)}` },
          h('h3', null, name),
          schema.description ? h('p', null, inline(schema.description)) : null,
          source ? fieldsTable(source, 0, new Set([`#/components/schemas/${name}`]))
            : h('div', { class: 'schema-line' }, h('span', { class: 'type' }, typeLabel(schema)), constraints(schema)),
          exampleBlock(schema));
      })));
  }

  toc.replaceChildren(...tocNodes);
  main.replaceChildren(intro(), ...sections);
  const total = groups.reduce((n, g) => n + g.ops.length, 0);

  function filter() {
    const terms = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const section of main.querySelectorAll('.docs-tag')) {
      if (section.id === 'schemas') { section.hidden = terms.length > 0; continue; }
      let visible = 0;
      for (const op of section.querySelectorAll('.op')) {
        const ok = terms.every((t) => op.dataset.search.includes(t));
        op.hidden = !ok;
        tocLinks.get(op.id).hidden = !ok;
        if (ok) visible += 1;
      }
      section.hidden = visible === 0;
      const group = toc.querySelector(`[data-tag="${section.id}"]`);
      if (group) group.hidden = visible === 0;
      shown += visible;
    }
    const schemasToc = toc.querySelector('.toc-schemas');
    if (schemasToc) schemasToc.hidden = terms.length > 0;
    count.textContent = terms.length ? `${shown} of ${total} operations match` : `${total} operations`;
    let none = main.querySelector('.docs-none');
    if (terms.length && !shown) {
      if (!none) { none = h('p', { class: 'empty docs-none' }, 'No operation matches this filter.'); main.append(none); }
    } else none?.remove();
  }
  search.addEventListener('input', filter);
  filter();

  // Highlight the TOC entry of the operation in view.
  if ('IntersectionObserver' in window) {
    const observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        for (const a of toc.querySelectorAll('a.active')) a.classList.remove('active');
        tocLinks.get(e.target.id)?.querySelector('a')?.classList.add('active');
      }
    }, { rootMargin: '0px 0px -70% 0px' });
    for (const op of main.querySelectorAll('.op')) observer.observe(op);
  }

  if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
}

document.addEventListener('keydown', (e) => {
  if (e.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement?.tagName)) {
    e.preventDefault();
    search.focus();
  }
});

async function load() {
  try {
    const res = await fetch('/api/openapi.json', { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (!res.ok) throw new Error(`The server answered HTTP ${res.status}.`);
    spec = await res.json();
    const v = document.getElementById('docs-version');
    if (spec.info?.version) { v.textContent = `v${spec.info.version}`; v.hidden = false; }
    document.title = `${spec.info?.title || 'API'} reference · Stockroom`;
    render();
    document.body.dataset.ready = '1';
  } catch (err) {
    main.replaceChildren(h('div', { class: 'alert alert-error', role: 'alert' },
      h('p', { class: 'alert-title' }, 'The API description could not be loaded.'),
      h('p', null, err.message || String(err), ' ', h('a', { href: '/api/openapi.json' }, 'Open the raw openapi.json'))));
    document.body.dataset.ready = '1';
  }
}

load();
