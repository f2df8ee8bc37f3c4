/** Why a tool call failed, as the model is told it. */
export type ToolErrorCode = 'not_allowed' | 'failed' | 'too_large' | 'timeout' | 'invalid_arguments';

/**
 * A failure the model should see: the agent loop turns it into `{"ok":false,"error":{code,message}}`.
 * The message is shown to the model (and may be stored with the run), so it never holds a secret.
 */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  // A declared field, not a parameter property: type stripping (erasableSyntaxOnly) has no place for those.
  readonly code: ToolErrorCode;

  constructor(code: ToolErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
