export type NginxRole =
  | { readonly kind: 'static-backend' }
  | { readonly kind: 'proxy'; readonly upstreamPort: number };

export interface NginxConfigOptions {
  readonly role: NginxRole;
  /** Directory holding the pid file, logs and temp paths; nothing outside it is written. */
  readonly dir: string;
  readonly port: number;
  /** Modules this nginx was built without (from `nginx -V`): their temp-path directives would not parse. */
  readonly missingModules: ReadonlySet<string>;
}

export const staticBody = 'ok\n';

/** One worker, in the foreground (so the spawned process is the master), on 127.0.0.1 only. */
export function nginxConfig(options: NginxConfigOptions): string {
  const { dir, port, role } = options;
  const tempPaths = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .filter((module) => module === 'client_body' || !options.missingModules.has(module))
    .map((module) => `  ${module}_temp_path ${dir}/${module}_temp;`)
    .join('\n');
  const server =
    role.kind === 'static-backend'
      ? `  server {
    listen 127.0.0.1:${port};
    location / { return 200 "${staticBody.replace('\n', '\\n')}"; }
  }`
      : `  upstream bench_backend {
    server 127.0.0.1:${role.upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://bench_backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`;
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
${tempPaths}
${server}
}
`;
}

/** Module names `nginx -V` lists as `--without-http_<name>_module`. */
export function modulesBuiltWithout(nginxVersionOutput: string): Set<string> {
  const missing = new Set<string>();
  for (const match of nginxVersionOutput.matchAll(/--without-http_(\w+?)_module/g)) {
    if (match[1] !== undefined) missing.add(match[1]);
  }
  return missing;
}
