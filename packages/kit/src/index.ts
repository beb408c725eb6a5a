export * from './grpc-status.js';
export * from './errors.js';
export * from './error-catalogue.js';
export * from './logger.js';
export * from './duration.js';
export * from './wait.js';
export * from './compose.js';
export * from './errors-doc.js';
