/** Model prices and the cost of a request. */
export { costByKindWith, costWith, formatUsd, imagePrice, PriceBook, type CostByKind } from './cost.js';
export { DEFAULT_PRICES, normaliseModel, priceFromEntry, priceSource, type ModelPrice, type PriceEntry } from './price-table.js';
