/** A response as stored for replay: status, the headers that matter, and the body bytes. */
export interface StoredResponse {
  status: number;
  headers: [name: string, value: string][];
  body: Uint8Array;
}

export type BeginOutcome =
  /** The caller now holds the key under `lease` and must complete or release it. */
  | { kind: 'acquired' }
  /** The key already completed with the same request: replay this. */
  | { kind: 'replay'; response: StoredResponse }
  /** Another request holds the key and is still running. */
  | { kind: 'in-flight' }
  /** The key was used with a different request body. */
  | { kind: 'mismatch' };

export interface BeginRequest {
  /** Scoped key (caller, route and Idempotency-Key), already hashed. */
  key: string;
  fingerprint: string;
  /** A fresh random id naming this attempt; only its holder can complete or release the key. */
  lease: string;
  /** Epoch milliseconds. */
  now: number;
  /** How long a running request holds the key before another may take it over. */
  lockTtlS: number;
  /** How long the key is remembered. */
  ttlS: number;
}

export interface CompleteRequest {
  key: string;
  lease: string;
  response: StoredResponse;
  now: number;
  ttlS: number;
}

/** Remembers idempotent requests per scoped key: who runs it, and its response once done. */
export interface IdempotencyStore {
  /** Claims the key, or reports a stored response, a running holder or a body mismatch. */
  begin(request: BeginRequest): Promise<BeginOutcome>;
  /** Stores the response if `lease` still holds the key; false when the lease was lost. */
  complete(request: CompleteRequest): Promise<boolean>;
  /** Forgets a running key held by `lease` so a retry can run. */
  release(request: { key: string; lease: string }): Promise<void>;
}
