/** An app's keys, as its Functions host checks them; values are secrets, never logged. */
export interface AppKeys {
  /** The host's `default` function key: opens the app's functions of authLevel `function`. */
  readonly function: string;
  /** The `durabletask_extension` system key: opens the durable HTTP API (`/runtime/webhooks/durabletask`). */
  readonly durableTask: string;
}

/** What the router's clients present instead of any app's keys; the front door swaps them for the app's. */
export interface RouterKeys {
  /** Opens the `/api` routes of authLevel `function` of every version's app. */
  readonly function: string;
  /** Opens the durable HTTP API (`/runtime/webhooks/durabletask`) of every version's app; the router puts it in the URLs it rewrites. */
  readonly durableApi: string;
}
