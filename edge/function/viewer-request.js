import cf from 'cloudfront';
// Skyway viewer-request function (CloudFront Functions, runtime cloudfront-js-2.0).
// A pre-filter, never the authority: the regional gateway re-checks everything. It answers junk here so it
// costs nothing in a region, and it chooses the region. Checks run cheapest first:
//   0 header lines  1 method and path  2 declared content-length  3 key present  4 key shape and checksum
//   5 key MAC (signing secret sig:<version> from the KVS)  6 key state k:<keyId> (revoked, blocked, home region)
// Restricted language: ES5.1 plus const/let, arrows, templates, async/await. No destructuring, spread, classes,
// for-of, optional chaining, Map/Set. Only whole-line comments (the build strips them). Must stay under 10 KB
// built; it is tested under njs and in the local edge against shared/keys/vectors.json.
// KVS entries (written by edge/publisher): sig:<n> signing secret of version n; k:<keyId> {"s":"r"|"b","h":region};
// regions {"<region>":{"w":weight,"up":0|1,"near":["US",..],"o":originId,"t":published}} (shared/contract/region-health.ts); ov origin-verify value;
// mk hex sha256 of the master key.
const crypto = require('crypto');
const kvs = cf.kvs();
// Replaced by edge/build/bundle.ts from its options.
const MAX_BODY = 4194304;
// Multipart uploads (audio transcriptions/translations, image edits) have their own cap (SKYWAY_MEDIA_MAX_UPLOAD_BYTES).
const MAX_UPLOAD = 26214400;
const UPLOADS = { 'audio/transcriptions': 1, 'audio/translations': 1, 'images/edits': 1 };
// Header lines a viewer request may have (Host and one Cookie line included; x-skyway-* ones are dropped): the
// gateway parses at most 48 and never answers past them; CloudFront, the ALB and this function add 10 on the
// way. MAX_VIEWER_HEADER_LINES in shared/contract/headers.ts derives it (a test checks the two agree).
const MAX_HEADERS = 38;
// Model routes (with or without /v1) and the method each accepts.
const ROUTES = {
  'chat/completions': 'POST',
  'completions': 'POST',
  'embeddings': 'POST',
  'responses': 'POST',
  'responses/*': 'GET,DELETE',
  'responses/*/input_items': 'GET',
  'images/generations': 'POST',
  'images/edits': 'POST',
  'audio/speech': 'POST',
  'audio/transcriptions': 'POST',
  'audio/translations': 'POST',
  'moderations': 'POST',
  'messages': 'POST',
  'messages/count_tokens': 'POST',
  'models': 'GET'
};
const HEALTH = { '/health': 1, '/health/liveness': 1, '/health/liveliness': 1 };
const KEY_RE = /^sk-sky-([0-9a-z]{12})_[0-9A-Za-z]{32}([0-9a-z]{2})([0-9a-f]{24})([0-9a-f]{8})$/;
// Error codes shared with the gateway: code -> [status, OpenAI type, Anthropic type]. The build replaces this
// line with the table from shared/errors/codes.ts and refuses codes not declared there.
const ERR = {"unknown_url":[404,"invalid_request_error","not_found_error"],"method_not_allowed":[405,"invalid_request_error","invalid_request_error"],"request_too_large":[413,"invalid_request_error","request_too_large"],"missing_api_key":[401,"invalid_request_error","authentication_error"],"invalid_api_key":[401,"invalid_request_error","authentication_error"],"api_key_revoked":[401,"invalid_request_error","authentication_error"],"key_blocked":[403,"permission_error","permission_error"],"home_region_unavailable":[503,"service_unavailable","overloaded_error"],"request_header_fields_too_large":[431,"invalid_request_error","invalid_request_error"]};

// Anthropic clients (paths under /v1/messages) get Anthropic's error shape, everyone else OpenAI's.
function isAnthropic(uri) {
  return uri.indexOf('/v1/messages') === 0 || uri.indexOf('/messages') === 0;
}

// `a`: answer in Anthropic's shape.
function fail(a, code, message, extra) {
  const e = ERR[code];
  const body = a ? { type: 'error', error: { type: e[2], message: message } } : { error: { message: message, type: e[1], code: code, param: null } };
  const headers = {
    'content-type': { value: 'application/json' },
    'x-skyway-edge': { value: '1' },
    'cache-control': { value: 'no-store' }
  };
  if (extra) {
    headers[extra[0]] = { value: extra[1] };
  }
  return {
    statusCode: e[0],
    headers: headers,
    body: { encoding: 'text', data: JSON.stringify(body) }
  };
}

async function kv(name) {
  // get() throws on a missing key: one lookup instead of exists() + get().
  try {
    return await kvs.get(name);
  } catch (e) {
    return null;
  }
}

function json(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch (e) {
    return null;
  }
}

function sha256(s) {
  return crypto.createHash('sha256').update(s).digest('hex');
}

// Equal-length hex strings compared without an early exit.
function same(a, b) {
  if (a.length !== b.length) {
    return false;
  }
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  }
  return d === 0;
}

// The allowed method for a path, '' for health, undefined for an unknown path.
function routeOf(uri) {
  if (HEALTH[uri]) {
    return '';
  }
  let p = uri.indexOf('/v1/') === 0 ? uri.slice(4) : uri.slice(1);
  if (p.indexOf('models/') === 0 && p.length > 7 && p.indexOf('/', 7) < 0) {
    p = 'models';
  }
  if (p.indexOf('responses/') === 0 && p.length > 10) {
    p = p.indexOf('/', 10) < 0 ? 'responses/*' : p.slice(p.indexOf('/', 10)) === '/input_items' ? 'responses/*/input_items' : p;
  }
  return ROUTES.hasOwnProperty(p) ? ROUTES[p] : undefined;
}

function tokenOf(h) {
  if (h.authorization) {
    const v = h.authorization.value;
    const m = /^bearer\s+(\S+)\s*$/i.exec(v);
    return m ? m[1] : '';
  }
  return h['x-api-key'] ? h['x-api-key'].value.trim() : null;
}

// A row older than this (seconds) counts as down: its region could not publish. REGION_HEALTH.staleAfterSeconds.
const STALE = 30;

// Marks stale rows down, unless no row is fresh (then the publishers are down, not necessarily the regions).
function ageOut(regions) {
  const now = Date.now() / 1000;
  const old = [];
  let fresh = 0;
  let name;
  for (name in regions) {
    const r = regions[name];
    if (r && r.t) {
      if (now - r.t > STALE) {
        old.push(r);
      } else {
        fresh++;
      }
    }
  }
  if (fresh) {
    for (let i = 0; i < old.length; i++) {
      old[i].up = 0;
    }
  }
  return regions;
}

// Picks a healthy region: the viewer's nearby ones first, then any, by weight; `n` spreads keys across them.
function pickRegion(regions, country, n) {
  const up = [];
  const near = [];
  let name;
  for (name in regions) {
    const r = regions[name];
    if (r && r.up !== 0 && r.w !== 0) {
      up.push(name);
      if (country && r.near && r.near.indexOf(country) >= 0) {
        near.push(name);
      }
    }
  }
  const pool = near.length ? near : up;
  let total = 0;
  for (let i = 0; i < pool.length; i++) {
    total += regions[pool[i]].w > 0 ? regions[pool[i]].w : 1;
  }
  let at = total > 0 ? n % total : 0;
  for (let i = 0; i < pool.length; i++) {
    at -= regions[pool[i]].w > 0 ? regions[pool[i]].w : 1;
    if (at < 0) {
      return pool[i];
    }
  }
  return null;
}

function select(regions, name) {
  const r = regions[name];
  cf.selectRequestOriginById(r && r.o ? r.o : name);
}

async function handler(event) {
  const req = event.request;
  const h = req.headers;
  const a = isAnthropic(req.uri);
  // The gateway's own headers are set here only. 0 header lines: a repeated header is one line per value.
  let lines = 0;
  let name;
  for (name in h) {
    if (name.indexOf('x-skyway-') === 0) {
      delete h[name];
    } else {
      lines += (h[name].multiValue && h[name].multiValue.length) || 1;
    }
  }
  for (name in req.cookies) {
    lines++;
    break;
  }
  if (lines > MAX_HEADERS) {
    return fail(a, 'request_header_fields_too_large', `The request has ${lines} header lines; at most ${MAX_HEADERS} are accepted.`);
  }
  // 1 method and path
  const method = routeOf(req.uri);
  if (method === undefined) {
    return fail(a, 'unknown_url', `Unknown request URL: ${req.method} ${req.uri}. Please check the URL for typos.`);
  }
  const allowed = method || 'GET';
  if ((',' + allowed + ',').indexOf(',' + req.method + ',') < 0) {
    return fail(a, 'method_not_allowed', `Method ${req.method} is not allowed on ${req.uri}; use ${allowed}.`, ['allow', allowed]);
  }
  const ov = await kv('ov');
  if (ov) {
    h['x-skyway-origin-verify'] = { value: ov };
  }
  if (method === '') {
    return req;
  }
  // 2 declared body size (a body without content-length is capped by the regional gateway)
  const max = UPLOADS[req.uri.replace(/^\/(v1\/)?/, '')] ? MAX_UPLOAD : MAX_BODY;
  if (h['content-length'] && Number(h['content-length'].value) > max) {
    return fail(a, 'request_too_large', `The request body exceeds the limit of ${max} bytes.`);
  }
  // 3 key present
  const token = tokenOf(h);
  if (token === null) {
    return fail(a, 'missing_api_key', a ? 'You did not provide an API key. Send it in the x-api-key header (x-api-key: <key>) or as Authorization: Bearer <key>.' : 'You did not provide an API key. Send it as a bearer token: Authorization: Bearer <key>.');
  }
  const rtext = await kv('regions');
  const regions = ageOut(json(rtext) || {});
  const m = KEY_RE.exec(token);
  let spread;
  if (!m) {
    // Not a virtual key: only the master key (known by its hash) goes on.
    const mk = token ? await kv('mk') : null;
    const digest = sha256(token);
    if (!mk || !same(digest, mk)) {
      return fail(a, 'invalid_api_key', 'Incorrect API key provided: it is not a Skyway key.');
    }
    spread = parseInt(digest.slice(0, 6), 16);
  } else {
    // 4 checksum
    if (m[2] === '00' || sha256(token.slice(0, 78)).slice(0, 8) !== m[4]) {
      return fail(a, 'invalid_api_key', 'Incorrect API key provided: the key fails its checksum (check for a copy and paste error).');
    }
    // 5 MAC with the signing secret of the key's version
    const secret = await kv('sig:' + parseInt(m[2], 36));
    if (!secret || !same(crypto.createHmac('sha256', secret).update(token.slice(0, 54)).digest('hex').slice(0, 24), m[3])) {
      return fail(a, 'invalid_api_key', 'Incorrect API key provided.');
    }
    // 6 key state
    const stext = await kv('k:' + m[1]);
    const st = json(stext) || {};
    if (st.s === 'r') {
      return fail(a, 'api_key_revoked', 'This API key has been revoked.');
    }
    if (st.s === 'b') {
      return fail(a, 'key_blocked', 'This API key is blocked. Contact the gateway administrator.');
    }
    h['x-skyway-key-id'] = { value: m[1] };
    if (st.h) {
      // Data residency: the home region or nothing. Without a row for it (regions publish no health rows) the
      // default origin gets the request and the gateway there re-checks the home region.
      if (regions[st.h] && regions[st.h].up === 0) {
        return fail(a, 'home_region_unavailable', `The home region of this key (${st.h}) is unavailable; retry later.`, ['retry-after', '5']);
      }
      if (regions[st.h]) {
        select(regions, st.h);
      }
      return req;
    }
    spread = parseInt(m[4].slice(0, 6), 16);
  }
  const country = h['cloudfront-viewer-country'] ? h['cloudfront-viewer-country'].value : '';
  const region = pickRegion(regions, country, spread);
  if (region) {
    select(regions, region);
  }
  return req;
}
