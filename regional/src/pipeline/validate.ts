/** The request checks the gateway makes itself before spending anything upstream: see validation/. */
export { parseRequestBody, type ParsedRequest } from '../validation/index.js';
