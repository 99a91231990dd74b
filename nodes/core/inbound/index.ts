export * from './types';
export * from './parse';
export * from './authenticate';
export * from './classify';
export * from './normalize';
export * from './event-id';
export * from './dedupe';
export * from './handle';
