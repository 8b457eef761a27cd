// Typed errors of the SQLite store: a bad history filter (the API answers 400) and a schema the code does not know.

/**
 * A history filter value was invalid (unknown sort column, bad IP/CIDR, limit out of range...). The API turns it into 400.
 * @example try { store.history({ limit: 5000 }) } catch (e) { if (e instanceof HistoryFilterError) status = 400 }
 */
export class HistoryFilterError extends Error {
  override readonly name = 'HistoryFilterError';
  /** The filter field that was rejected, e.g. `limit`. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}

/**
 * The database was written by a newer warden (its `user_version` is above what this code knows), or is not migrated.
 * @example new SchemaVersionError('var/warden.db', 3, 1).message
 */
export class SchemaVersionError extends Error {
  override readonly name = 'SchemaVersionError';

  constructor(
    readonly path: string,
    readonly found: number,
    readonly known: number,
    message?: string,
  ) {
    super(
      message ??
        `${path} has schema version ${found} but this warden knows versions up to ${known}: ` +
          'it was written by a newer warden; upgrade warden, or restore a backup made by this version',
    );
  }
}
