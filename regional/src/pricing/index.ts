/** Model prices and the cost of a request. */
export { costWith, formatUsd, imagePrice, PriceBook } from './cost.js';
export { DEFAULT_PRICES, normaliseModel, priceFromEntry, priceSource, type ModelPrice, type PriceEntry } from './price-table.js';
