/**
 * The SQL dialects Interlock stores in. Migrations and the few dialect-specific queries branch on
 * it.
 */
export type Dialect = 'sqlite' | 'postgres';
