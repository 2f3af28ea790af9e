/** An episode ended unwritten because this host no longer holds the task hub's lease; its new owner runs it. */
export class NotOwnerError extends Error {
  override readonly name = 'NotOwnerError';

  constructor() {
    super('This host no longer owns the task hub; the episode is left to its new owner.');
  }
}
