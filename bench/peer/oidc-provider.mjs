// The peer of bench.side_by_side: node oidc-provider (panva, OpenID certified) set up as the
// bridge is for the bench: one confidential client (client_secret_basic, PKCE S256, codes and
// refresh tokens), users bench-<n> who sign in with a password (argon2id, the bridge's
// parameters) and then a TOTP code (RFC 6238, SHA-1, 6 digits, 30 s, each step once per user),
// an in-memory adapter, an RS256 key. Its two interaction pages are plain forms that the
// bench's scripted browser fills in as it fills in the bridge's.
//
// Run from a folder where `npm ci` installed bench/peer/package.json (bench.side_by_side copies
// this file there). Settings come from the environment:
//   PEER_PORT, PEER_CLIENT_ID, PEER_CLIENT_SECRET, PEER_PASSWORD, PEER_TOTP_SECRET (base32),
//   PEER_ARGON2 ("time,memory KiB,parallelism").
// GET /__bench/verify?n=9 answers one argon2id verify's process CPU (median, seconds).

import { createHmac, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import argon2 from 'argon2';
import Provider from 'oidc-provider';

const env = process.env;
const port = Number(env.PEER_PORT || 3000);
const issuer = `http://127.0.0.1:${port}`;
const [timeCost, memoryCost, parallelism] = (env.PEER_ARGON2 || '2,19456,1').split(',').map(Number);
const argon2Options = { type: argon2.argon2id, timeCost, memoryCost, parallelism };
const password = env.PEER_PASSWORD;
const passwordHash = await argon2.hash(password, argon2Options);
const totpKey = base32(env.PEER_TOTP_SECRET);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: env.PEER_CLIENT_ID,
    client_secret: env.PEER_CLIENT_SECRET,
    redirect_uris: ['http://127.0.0.1:9/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['bench-peer-cookie-key-0123456789abcdef'] },
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (_ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, name: id, email: `${id}@example.com`, email_verified: true }),
  }),
  // The bridge issues a refresh token with every code: so does the peer.
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  // A first-party client: the scopes it asks for are granted without a consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
  ttl: {
    AccessToken: 3600, AuthorizationCode: 600, IdToken: 3600, Interaction: 3600,
    Grant: 86400, RefreshToken: 86400, Session: 86400,
  },
});

const passwordChecked = new Map(); // interaction uid -> username
const lastStep = new Map(); // username -> the last TOTP step accepted

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const bytes = bits.match(/.{8}/g) || [];
  return Buffer.from(bytes.map((b) => parseInt(b, 2)));
}

function totpAt(step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', totpKey).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

function acceptCode(username, code) {
  const now = Math.floor(Date.now() / 30_000);
  for (const step of [now - 1, now, now + 1]) {
    if (totpAt(step) === code && step > (lastStep.get(username) ?? -1)) {
      lastStep.set(username, step);
      return true;
    }
  }
  return false;
}

function page(res, uid, kind, error = '') {
  const fields = kind === 'password'
    ? '<input name="username" autocomplete="username"><input name="password" type="password">'
    : '<input name="code" inputmode="numeric" autocomplete="one-time-code">';
  const title = kind === 'password' ? 'Sign in' : 'Two-factor authentication';
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>`
    + `</head><body><h1>${title}</h1>${error ? `<div id="form-errors"><p>${error}</p></div>` : ''}`
    + `<form method="post" action="/interaction/${uid}/${kind}">${fields}`
    + '<button type="submit">Continue</button></form></body></html>');
}

function seeOther(res, location) {
  res.writeHead(303, { Location: location });
  res.end();
}

async function form(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

async function interaction(req, res, uid, action) {
  await provider.interactionDetails(req, res); // checks the interaction's cookie
  if (req.method === 'GET') {
    page(res, uid, passwordChecked.has(uid) ? 'totp' : 'password');
  } else if (action === 'password') {
    const body = await form(req);
    const username = body.get('username') || '';
    const known = /^bench-\d+$/.test(username);
    // A stranger costs what a user costs: the hash is verified either way.
    const matched = await argon2.verify(passwordHash, body.get('password') || '');
    if (!known || !matched) return page(res, uid, 'password', 'Wrong username or password');
    passwordChecked.set(uid, username);
    seeOther(res, `/interaction/${uid}`);
  } else if (action === 'totp') {
    const username = passwordChecked.get(uid);
    const body = await form(req);
    if (!username || !acceptCode(username, body.get('code') || '')) {
      return page(res, uid, 'totp', 'Wrong code');
    }
    passwordChecked.delete(uid);
    const result = { login: { accountId: username, amr: ['pwd', 'otp'] } };
    seeOther(res, await provider.interactionResult(req, res, result, { mergeWithLastSubmission: false }));
  } else {
    res.writeHead(404).end();
  }
  return undefined;
}

async function verifyCpu(res, rounds) {
  const stored = await argon2.hash(password, argon2Options);
  const spent = [];
  for (let i = 0; i < rounds; i += 1) {
    const before = process.cpuUsage();
    await argon2.verify(stored, password);
    const used = process.cpuUsage(before);
    spent.push((used.user + used.system) / 1e6);
  }
  spent.sort((a, b) => a - b);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ cpu: spent[Math.floor(spent.length / 2)], pid: process.pid }));
}

const callback = provider.callback();
createServer((req, res) => {
  const url = new URL(req.url, issuer);
  const [, first, uid, action] = url.pathname.split('/');
  if (first === 'interaction' && uid) {
    interaction(req, res, uid, action).catch((error) => {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end(String(error));
    });
  } else if (url.pathname === '/__bench/verify') {
    verifyCpu(res, Number(url.searchParams.get('n') || 9));
  } else {
    callback(req, res);
  }
}).listen(port, '127.0.0.1', () => console.log('serving'));
