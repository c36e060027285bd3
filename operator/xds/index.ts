export * from './bootstrap.ts';
export * from './server.ts';
export * from './snapshot.ts';
export * from './translate.ts';
export * from './routes.ts';
