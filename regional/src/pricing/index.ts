/** Model prices and the cost of a request. */
export { costWith, formatUsd, PriceBook } from './cost.js';
export { DEFAULT_PRICES, normaliseModel, type ModelPrice } from './price-table.js';
