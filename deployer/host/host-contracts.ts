/**
 * The seam inside the local Functions host between loading/invoking an app's functions
 * (app-loading/, http/) and the durable engine (durable/). Neither side reaches into the other.
 */
import type { FastifyInstance } from 'fastify';

export interface FunctionDescriptor {
  readonly name: string;
  /** The trigger binding's type: httpTrigger, orchestrationTrigger, activityTrigger, entityTrigger, ... */
  readonly triggerType: string;
  /** All bindings as registered by the app (name → { type, direction, ...props }). */
  readonly bindings: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** Implemented by app loading: runs a durable trigger function through the library's own programming model. */
export interface FunctionInvoker {
  list(): readonly FunctionDescriptor[];
  /**
   * Invokes an orchestrationTrigger, activityTrigger or entityTrigger function with its trigger
   * payload (the JSON the real extension sends) and resolves with the function's return value.
   * An orchestrator that fails rejects with an Error whose message carries `$OutOfProcData$:`.
   */
  invokeDurable(functionName: string, payload: unknown): Promise<unknown>;
}

/** The value a `durableClient` input binding receives, as the real extension produces it. */
export interface DurableClientBindingValue {
  readonly taskHubName: string;
  readonly creationUrls: Readonly<Record<string, string>>;
  readonly managementUrls: Readonly<Record<string, string>>;
  readonly baseUrl: string;
  readonly requiredQueryStringParameters: string;
  readonly rpcBaseUrl: string;
  readonly httpBaseUrl: string;
  readonly maxGrpcMessageSizeInBytes: number;
  readonly grpcHttpClientTimeout: string;
}

/**
 * How the durable engine's clients reach its HTTP API when the host enforces keys; asked at every
 * use, since keys can be rotated while the host runs.
 */
export interface DurableApiKeys {
  /** The durable extension's system key: the URLs the engine hands out carry it as `code`. */
  systemKey(): string;
  /** The path (no trailing slash) only the host's own client binding knows: its `rpcBaseUrl`. */
  clientPath(): string;
  /** That path as a route prefix, its secret part a parameter, under which the API is served too. */
  readonly clientRoutePrefix: string;
}

/** Whether this process works its task hub: only the holder of the hub's lease does; the others serve its HTTP API. */
export interface DurableOwnership {
  readonly taskHubName: string;
  readonly ownsTaskHub: boolean;
  /** The lease's holder as last seen ('' when none): `host:pid:id`. */
  readonly leaseOwner: string;
}

/** Implemented by the durable engine. */
export interface DurableEngine {
  readonly taskHubName: string;
  clientBinding(): DurableClientBindingValue;
  /** Mounts /runtime/webhooks/durabletask/* (management API and the client's RPC routes), and the client path when keys are on. */
  registerRoutes(server: FastifyInstance): void;
  /**
   * Starts taking part in the task hub: takes its lease if it is free (and resumes whatever was in
   * flight), or asks its owner to hand it over and waits; resolves after that first look.
   */
  start(): Promise<void>;
  ownership(): DurableOwnership;
  /** Called each time this process starts or stops owning the task hub. */
  onOwnershipChange(listener: (owns: boolean) => void): void;
  /** Stops taking work, waits for what is executing to finish or be abandoned safely, then releases the lease. */
  stop(): Promise<void>;
}
