// The two benchmark-only dev dependencies ship no type declarations.
declare module 'autocannon';
declare module 'oidc-provider';
