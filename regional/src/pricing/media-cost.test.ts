/** The media price kinds: per second of audio, per character of speech input, per image by variant. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { imagePrice, PriceBook } from './cost.js';
import { priceFromEntry, priceSource } from './price-table.js';

const micros = (usd: number | undefined) => Math.round((usd ?? NaN) * 1e6);
const u = (extra: object) => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0, ...extra });

describe('media prices', () => {
  const book = new PriceBook();

  test('whisper-1: $0.006 per minute, billed per second rounded to the nearest second', () => {
    assert.equal(micros(book.costOf(u({ audioSeconds: 60 }), { upstreamModel: 'whisper-1', options: {} })), 6000);
    assert.equal(micros(book.costOf(u({ audioSeconds: 3.4 }), { upstreamModel: 'whisper-1', options: {} })), 300);
    assert.equal(micros(book.costOf(u({ audioSeconds: 3.5 }), { upstreamModel: 'whisper-1', options: {} })), 400);
  });

  test('tts-1 $15 and tts-1-hd $30 per 1M characters (the longer name wins)', () => {
    assert.equal(micros(book.costOf(u({ characters: 1000 }), { upstreamModel: 'tts-1', options: {} })), 15_000);
    assert.equal(micros(book.costOf(u({ characters: 1000 }), { upstreamModel: 'tts-1-hd', options: {} })), 30_000);
  });

  test('dall-e-2 per image by size; an unknown size costs the priciest', () => {
    const d = { upstreamModel: 'dall-e-2', options: {} };
    assert.equal(micros(book.costOf(u({ images: 2, imageVariant: '256x256' }), d)), 32_000);
    assert.equal(micros(book.costOf(u({ images: 1, imageVariant: 'standard/512x512' }), d)), 18_000);
    assert.equal(micros(book.costOf(u({ images: 3 }), d)), 60_000);
  });

  test('dall-e-3 by quality and size', () => {
    const d = { upstreamModel: 'dall-e-3', options: {} };
    assert.equal(micros(book.costOf(u({ images: 1, imageVariant: 'hd/1792x1024' }), d)), 120_000);
    assert.equal(micros(book.costOf(u({ images: 1, imageVariant: 'standard/1024x1024' }), d)), 40_000);
  });

  test('token prices still apply next to media units (a deployment override with both)', () => {
    const d = { upstreamModel: 'x', options: { pricing: { input: 2, output: 8, per_image: 0.01 } } };
    assert.equal(micros(book.costOf(u({ promptTokens: 1000, completionTokens: 100, images: 2 }), d)), 2000 + 800 + 20_000);
  });

  test('entries: a media-only entry has token prices 0; per_minute becomes per second; sources are recorded', () => {
    assert.deepEqual(priceFromEntry({ per_minute: 0.006 }), { input: 0, output: 0, perSecond: 0.0001 });
    assert.equal(priceFromEntry({ cached_input: 1 }), undefined);
    assert.equal(priceFromEntry({ per_image: 0.04 })?.perImage?.default, 0.04);
    for (const m of ['whisper-1', 'tts-1', 'tts-1-hd', 'dall-e-2', 'dall-e-3']) {
      const s = priceSource(m);
      assert.match(s?.source ?? '', /^https:\/\//, m);
      assert.match(s?.as_of ?? '', /^\d{4}-\d{2}-\d{2}$/, m);
    }
  });

  test('imagePrice lookup order', () => {
    const t = { 'hd/1024x1024': 0.08, '1024x1024': 0.04, hd: 0.1, default: 0.03 };
    assert.equal(imagePrice(t, 'hd/1024x1024'), 0.08);
    assert.equal(imagePrice(t, 'standard/1024x1024'), 0.04);
    assert.equal(imagePrice(t, 'hd/512x512'), 0.1);
    assert.equal(imagePrice(t, 'x'), 0.03);
  });
});
