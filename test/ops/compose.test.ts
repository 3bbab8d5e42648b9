import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE_FILE = `${ROOT}docker-compose.yml`;
const REPLICATED_FILE = `${ROOT}docker-compose.replicated.yml`;

/** `docker compose` (the plugin) if installed, else the standalone `docker-compose` (Debian's package, installed by .ci/run). */
function composeValidator(): string[] | undefined {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(command[0]!, [...command.slice(1), 'version'], { encoding: 'utf8', timeout: 20_000 });
    if (probe.status === 0) return command;
  }
  return undefined;
}

const validator = composeValidator();

interface ComposeService {
  image?: string;
  user?: string;
  entrypoint?: string[];
  secrets?: string[];
  build?: unknown;
  environment: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck: { test: string[] };
  profiles?: string[];
}

// Merge keys (`<<: *instance`) are resolved as compose resolves them.
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
};
const kafka = compose.services.kafka!;
const service = compose.services.certificates!;

describe('docker-compose.yml', () => {
  it.skipIf(validator === undefined)(
    'is valid for the compose validator (`docker compose config` or `docker-compose config`), with the cluster and secure profiles too',
    () => {
      const result = spawnSync(
        validator![0]!,
        [...validator!.slice(1), '-f', COMPOSE_FILE, '--profile', 'cluster', '--profile', 'secure', 'config', '--quiet'],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );

  it('runs the official Apache Kafka 4.1.1 image as a single KRaft broker and controller, its data on a named volume', () => {
    expect(kafka.image).toBe('apache/kafka:4.1.1');
    expect(kafka.environment).toMatchObject({
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: `${kafka.environment.KAFKA_NODE_ID}@kafka:9093`,
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://kafka:9092',
      KAFKA_LOG_DIRS: '/var/lib/kafka/data',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    });
    expect(kafka.volumes).toEqual(['kafka-data:/var/lib/kafka/data']);
    expect(Object.keys(compose.volumes)).toEqual([
      'kafka-data',
      'state',
      'kafka-secure-data',
      'kafka-secure-secrets',
      'kafka-secure-ca',
      'state-secure',
    ]);
    expect(kafka.healthcheck.test.join(' ')).toContain('kafka-broker-api-versions.sh --bootstrap-server localhost:9092');
  });

  it('starts the service from the Dockerfile only once Kafka is healthy, pointed at it, with a readiness health check', () => {
    expect(service.build).toBe('.');
    expect(service.depends_on).toEqual({
      kafka: { condition: 'service_healthy' },
      'cluster-secret': { condition: 'service_completed_successfully' },
    });
    expect(service.environment.KAFKA_BROKERS).toBe('kafka:9092');
    expect(service.ports).toEqual(['3000:3000']);
    expect(service.healthcheck.test.join(' ')).toContain('http://127.0.0.1:3000/readyz');
  });

  it('runs in production mode, with its API keys and signing keys on the state volume and PUBLIC_URL set, as production requires', () => {
    expect(readFileSync(`${ROOT}Dockerfile`, 'utf8')).toMatch(/^ENV NODE_ENV=production /m);
    expect(service.environment).toMatchObject({
      NODE_ENV: 'production',
      API_KEYS_FILE: '/var/lib/certificates/api-keys.json',
      SIGNING_KEY_FILE: '/var/lib/certificates/signing-keys.json',
    });
    // From the shell, with a default: never unset.
    expect(String(service.environment.PUBLIC_URL)).toMatch(/^\$\{PUBLIC_URL:-https?:\/\/[^}]+\}$/);
  });

  it('keeps state snapshots on a volume of their own, in the directory the image gives the service', () => {
    expect(service.environment.STATE_DIR).toBe('/var/lib/certificates');
    expect(service.volumes).toEqual(['state:/var/lib/certificates']);
    expect(readFileSync(`${ROOT}Dockerfile`, 'utf8')).toContain('chown node:node /var/lib/certificates');
  });
});

describe('the cluster profile of docker-compose.yml', () => {
  const instances = Object.entries(compose.services).filter(
    ([, candidate]) => candidate.environment?.ADVERTISED_URL !== undefined && !candidate.profiles?.includes('secure'),
  );
  const nginx = readFileSync(`${ROOT}deploy/nginx.conf`, 'utf8');

  it('runs three instances of one image on one topic, each advertising the URL the others reach it at', () => {
    expect(instances.map(([name]) => name)).toEqual(['certificates', 'certificates-2', 'certificates-3']);
    for (const [name, instance] of instances) {
      // Each advertises its internal listener (PORT + 1), and all share the cluster secret.
      expect(instance.environment).toEqual({ ...service.environment, ADVERTISED_URL: `http://${name}:3001` });
      expect(instance.environment.CLUSTER_SECRET_FILE).toBe('/var/lib/certificates/cluster-secret');
      expect(instance.build).toBe('.');
      expect(instance.depends_on).toEqual(service.depends_on);
    }
    expect(instances.slice(1).every(([, instance]) => instance.profiles?.includes('cluster'))).toBe(true);
    // A lone instance elects itself at once, not after the group's initial delay.
    expect(kafka.environment.KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS).toBe(0);
  });

  it('puts nginx in front of exactly those instances, retrying another only when nothing was sent', () => {
    const balancer = compose.services['load-balancer']!;
    expect(balancer.profiles).toEqual(['cluster']);
    expect(balancer.ports).toEqual(['8080:80']);
    expect(balancer.volumes).toEqual(['./deploy/nginx.conf:/etc/nginx/nginx.conf:ro']);
    const upstream = [...nginx.matchAll(/^\s*server (\S+):3000 resolve;/gm)].map((match) => match[1]);
    expect(upstream).toEqual(instances.map(([name]) => name));
    expect(nginx).toMatch(/proxy_next_upstream error;/);
    expect(nginx).not.toMatch(/non_idempotent/);
  });
});

describe('the secure profile of docker-compose.yml: SASL_SSL between the service and its broker', () => {
  const setup = compose.services['kafka-secure-setup']!;
  const broker = compose.services['kafka-secure']!;
  const instance = compose.services['certificates-secure']!;
  const script = readFileSync(`${ROOT}deploy/kafka-secure/setup.sh`, 'utf8');

  it('offers the network only SASL_SSL with SCRAM-SHA-512; plaintext listeners are bound to the container itself', () => {
    for (const service of [setup, broker, instance]) expect(service.profiles).toEqual(['secure']);
    const listeners = String(broker.environment.KAFKA_LISTENERS).split(',');
    expect(listeners.filter((listener) => !listener.startsWith('SASL_SSL://'))).toEqual([
      'INTERNAL://localhost:9092',
      'CONTROLLER://localhost:9093',
    ]);
    expect(broker.environment).toMatchObject({
      KAFKA_ADVERTISED_LISTENERS: 'INTERNAL://localhost:9092,SASL_SSL://kafka-secure:9094',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL',
      KAFKA_SASL_ENABLED_MECHANISMS: 'SCRAM-SHA-512',
      KAFKA_SSL_KEYSTORE_FILENAME: 'broker.p12',
    });
    expect(broker.ports).toBeUndefined();
    expect(broker.depends_on).toEqual({ 'kafka-secure-setup': { condition: 'service_completed_successfully' } });
  });

  it('points the instance at the SASL_SSL listener, trusting the CA setup.sh makes, its password a compose secret, not the environment', () => {
    expect(instance.depends_on).toEqual({ 'kafka-secure': { condition: 'service_healthy' } });
    expect(instance.environment).toMatchObject({
      KAFKA_BROKERS: 'kafka-secure:9094',
      KAFKA_TLS_CA_FILE: '/etc/kafka-ca/ca.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: setup.environment.KAFKA_SCRAM_USER,
      KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka-password',
    });
    expect(instance.environment.KAFKA_SASL_PASSWORD).toBeUndefined();
    expect(instance.environment.KAFKA_SASL_ALLOW_PLAINTEXT).toBeUndefined();
    expect(instance.environment.KAFKA_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
    expect(instance.secrets).toEqual(['kafka-password']);
    expect(setup.secrets).toEqual(['kafka-password']);
    expect(compose.secrets['kafka-password']).toEqual({ file: './deploy/kafka-secure/kafka-password' });
    // The instance sees the CA, read-only, never the broker's keystore.
    expect(instance.volumes).toEqual(['state-secure:/var/lib/certificates', 'kafka-secure-ca:/etc/kafka-ca:ro']);
    expect(readFileSync(`${ROOT}.gitignore`, 'utf8')).toContain('deploy/kafka-secure/kafka-password');
    expect(readFileSync(`${ROOT}.dockerignore`, 'utf8')).toContain('deploy/kafka-secure/kafka-password');
  });

  it('makes the broker a certificate for the name the instance dials, and the SCRAM credentials before the first start', () => {
    expect(setup.entrypoint).toEqual(['/bin/bash', '/setup/setup.sh']);
    expect(setup.volumes).toContain('./deploy/kafka-secure:/setup:ro');
    expect(script).toContain('-ext SAN=dns:kafka-secure');
    expect(script).toContain('--add-scram "SCRAM-SHA-512=[name=${KAFKA_SCRAM_USER}');
    expect(broker.environment.KAFKA_OPTS).toBe('-Djava.security.auth.login.config=/etc/kafka/secrets/kafka_server_jaas.conf');
    const syntax = spawnSync('bash', ['-n', `${ROOT}deploy/kafka-secure/setup.sh`], { encoding: 'utf8' });
    expect([syntax.status, syntax.stderr]).toEqual([0, '']);
  });
});

describe('docker-compose.replicated.yml laid over it', () => {
  /** Environment values as text: validators differ on whether they print 3 or '3'. */
  const environment = (service: ComposeService): Record<string, string> =>
    Object.fromEntries(Object.entries(service.environment).map(([name, value]) => [name, String(value)]));

  /** The merged configuration exactly as compose computes it (both files, every profile). */
  function merged(): { services: Record<string, ComposeService> } {
    const result = spawnSync(
      validator![0]!,
      [...validator!.slice(1), '-f', COMPOSE_FILE, '-f', REPLICATED_FILE, '--profile', 'cluster', 'config'],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
    );
    expect(result.status, result.stderr).toBe(0);
    return parse(result.stdout) as { services: Record<string, ComposeService> };
  }

  it.skipIf(validator === undefined)(
    'runs three KRaft nodes, each a voter with a volume of its own, replicating everything three times',
    () => {
      const { services } = merged();
      const nodes = ['kafka', 'kafka-2', 'kafka-3'].map((name) => services[name]!);
      nodes.forEach((node, index) => {
        expect(node.image).toBe('apache/kafka:4.1.1');
        expect(environment(node)).toMatchObject({
          KAFKA_NODE_ID: String(index + 1),
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093',
          KAFKA_DEFAULT_REPLICATION_FACTOR: '3',
          KAFKA_MIN_INSYNC_REPLICAS: '2',
          KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE: 'false',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
        });
      });
      const volumes = nodes.map((node) => JSON.stringify(node.volumes));
      expect(new Set(volumes).size).toBe(3);
    },
  );

  it.skipIf(validator === undefined)(
    'points every instance at all three nodes, creating the topic with replication 3 and min.insync.replicas 2',
    () => {
      const { services } = merged();
      for (const name of ['certificates', 'certificates-2', 'certificates-3']) {
        expect(environment(services[name]!)).toMatchObject({
          KAFKA_BROKERS: 'kafka:9092,kafka-2:9092,kafka-3:9092',
          KAFKA_REPLICATION_FACTOR: '3',
          KAFKA_MIN_INSYNC_REPLICAS: '2',
          ADVERTISED_URL: `http://${name}:3001`,
        });
        expect(Object.keys(services[name]!.depends_on!).sort()).toEqual(['cluster-secret', 'kafka', 'kafka-2', 'kafka-3']);
      }
    },
  );
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('builds and runs on the Node.js major the package asks for (engines), Node 24 LTS', () => {
    const { engines } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { engines: { node: string } };
    expect(engines.node).toBe('>=24');
    expect(stages.map((stage) => /^node:(\d+)-slim/.exec(stage)?.[1])).toEqual(['24', '24']);
  });

  it('builds in one stage with dev dependencies and runs in another with production dependencies only, as a non-root user', () => {
    expect(stages).toHaveLength(2);
    const [build, runtime] = stages as [string, string];
    expect(build).toMatch(/^node:24-slim AS build/);
    expect(build).toContain('RUN npm ci');
    expect(build).toContain('RUN npm run build');
    expect(runtime).toMatch(/^node:24-slim/);
    expect(runtime).toContain('npm ci --omit=dev');
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toContain('CMD ["node", "dist/main.js"]');
  });
});
