export * from './build.ts';
export * from './catalog.ts';
export * from './import.ts';
