/**
 * The simulated roaster's physics and hardware limits, without I/O: a drum roaster with a
 * burner, a fan and a drum motor. Time advances only when `advance` is called.
 */

export type RoasterMode = 'OFF' | 'PREHEATING' | 'RUNNING' | 'COOLING';

export interface RoasterState {
  mode: RoasterMode;
  /** Burner power, % of maximum. */
  power: number;
  /** Fan level 0–10 (0 only while OFF). */
  fan: number;
  drumRpm: number;
  airflow: number;
  /** Drum environment and bean temperatures, °C. */
  envTemp: number;
  beanTemp: number;
  /** Preheat setpoint, °C. */
  targetTemp: number | null;
  /** Seconds of simulated time since charge. */
  roastSeconds: number;
  /** Seconds of cooling left in a cooling cycle; null outside one. */
  coolingLeft: number | null;
  /** The hardware over-temperature trip fired. */
  tripped: boolean;
}

/** The machine's own limits, enforced whatever the gateway decided. */
export const HARDWARE_LIMITS = {
  power: { min: 0, max: 100 },
  fan: { min: 1, max: 10 },
  drumRpm: { min: 0, max: 90 },
  airflow: { min: 0, max: 100 },
  preheatTemp: { min: 80, max: 270 },
  /** Above this environment temperature the burner trips off. */
  tripTemp: 285,
} as const;

export const AMBIENT = 22;

/**
 * After a stop, an abort or an emergency shutdown the roaster cools with the fan and drum on
 * until both temperatures are at or below this, then turns itself off, as a real roaster's
 * cooling interlock does: from a running roast (200 °C drum) that takes about 2 minutes
 * (model.test.ts measures it).
 */
export const SAFE_OFF_TEMP = 50;

export function initialState(mode: RoasterMode = 'OFF'): RoasterState {
  const hot = mode === 'RUNNING' || mode === 'PREHEATING';
  return {
    mode,
    power: mode === 'RUNNING' ? 40 : 0,
    fan: mode === 'OFF' ? 0 : 3,
    drumRpm: mode === 'OFF' ? 0 : 60,
    airflow: mode === 'OFF' ? 0 : 30,
    envTemp: hot ? 200 : AMBIENT,
    beanTemp: mode === 'RUNNING' ? 150 : AMBIENT,
    targetTemp: hot ? 200 : null,
    roastSeconds: 0,
    coolingLeft: null,
    tripped: false,
  };
}

/** Thrown when a command breaks a hardware limit or is impossible in the current mode. */
export class HardwareRefusal extends Error {}

function within(name: keyof typeof HARDWARE_LIMITS, value: unknown): number {
  const limits = HARDWARE_LIMITS[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || typeof limits !== 'object') {
    throw new HardwareRefusal(`${name} must be a number`);
  }
  if (value < limits.min || value > limits.max) {
    throw new HardwareRefusal(
      `${name} ${value} is outside the hardware range ${limits.min}–${limits.max}`,
    );
  }
  return value;
}

function requireMode(s: RoasterState, kind: string, modes: RoasterMode[]): void {
  if (!modes.includes(s.mode))
    throw new HardwareRefusal(`${kind} is impossible while the roaster is ${s.mode}`);
}

/** apply returns the state after one command; it refuses what the hardware would refuse. */
export function apply(
  s: RoasterState,
  kind: string,
  params: Record<string, unknown>,
): RoasterState {
  const next = { ...s };
  switch (kind) {
    case 'roaster.preheat':
      requireMode(s, kind, ['OFF']);
      if (s.tripped)
        throw new HardwareRefusal('the over-temperature trip must be reset before preheating');
      next.targetTemp = within('preheatTemp', params.target_temp);
      Object.assign(next, { mode: 'PREHEATING', power: 70, fan: 3, drumRpm: 60, airflow: 30 });
      return next;
    case 'roaster.charge':
      requireMode(s, kind, ['PREHEATING']);
      Object.assign(next, { mode: 'RUNNING', beanTemp: AMBIENT, roastSeconds: 0 });
      return next;
    case 'roaster.set_power':
      requireMode(s, kind, ['PREHEATING', 'RUNNING']);
      if (s.tripped) throw new HardwareRefusal('the burner is tripped off');
      next.power = within('power', params.value);
      return next;
    case 'roaster.set_fan':
      requireMode(s, kind, ['PREHEATING', 'RUNNING', 'COOLING']);
      next.fan = within('fan', params.value);
      return next;
    case 'roaster.set_drum':
      requireMode(s, kind, ['PREHEATING', 'RUNNING', 'COOLING']);
      next.drumRpm = within('drumRpm', params.rpm);
      return next;
    case 'roaster.set_airflow':
      requireMode(s, kind, ['PREHEATING', 'RUNNING', 'COOLING']);
      next.airflow = within('airflow', params.value);
      return next;
    case 'roaster.cooling_cycle':
      requireMode(s, kind, ['RUNNING']);
      Object.assign(next, { mode: 'COOLING', power: 0, fan: 10, drumRpm: 60, airflow: 100 });
      next.coolingLeft = typeof params.duration_s === 'number' ? params.duration_s : 240;
      return next;
    case 'roaster.abort':
    case 'roaster.emergency_shutdown':
      return safe(s);
    default:
      throw new HardwareRefusal(`the roaster does not know the command ${kind}`);
  }
}

/**
 * A rollback to a checkpoint: the setpoints (power, fan, drum, airflow) as they were, the
 * rest as it is now. Temperatures and the roast clock are physics, not settings. The command
 * names the values it was decided on; the controller applies them only when they are the
 * checkpoint's, and refuses what it would refuse from any setpoint command.
 */
export function withSetpoints(
  s: RoasterState,
  checkpoint: RoasterState,
  params: Record<string, unknown>,
): RoasterState {
  requireMode(s, 'roaster.rollback', ['PREHEATING', 'RUNNING']);
  const named = {
    power: params.power,
    fan: params.fan,
    drumRpm: params.drum_rpm,
    airflow: params.airflow,
  };
  for (const [field, value] of Object.entries(named))
    if (value !== checkpoint[field as keyof RoasterState])
      throw new HardwareRefusal(
        `the rollback names ${field} ${String(value)}, the checkpoint holds ${String(checkpoint[field as keyof RoasterState])}`,
      );
  if (s.tripped && checkpoint.power > 0) throw new HardwareRefusal('the burner is tripped off');
  const next = {
    ...s,
    power: within('power', checkpoint.power),
    fan: within('fan', checkpoint.fan),
    drumRpm: within('drumRpm', checkpoint.drumRpm),
    airflow: within('airflow', checkpoint.airflow),
  };
  if (next.power > 0 && (next.fan < 1 || next.drumRpm === 0))
    throw new HardwareRefusal('heat with the fan or the drum stopped would scorch the beans');
  return next;
}

/** The emergency-stop state: heat off, fan and drum on so the beans do not scorch. */
export function safe(s: RoasterState): RoasterState {
  return {
    ...s,
    mode: s.mode === 'OFF' ? 'OFF' : 'COOLING',
    power: 0,
    fan: 10,
    drumRpm: 60,
    airflow: 100,
    coolingLeft: null,
  };
}

/** advance moves simulated time forward by `seconds` in fixed steps. */
export function advance(s: RoasterState, seconds: number): RoasterState {
  let next = s;
  let left = seconds;
  while (left > 0) {
    const dt = Math.min(left, 0.5);
    next = step(next, dt);
    left -= dt;
  }
  return next;
}

function step(s: RoasterState, dt: number): RoasterState {
  const next = { ...s };
  if (next.mode === 'PREHEATING' && next.targetTemp !== null) {
    // The controller holds the setpoint: burner on below it, off above it.
    next.power = next.envTemp < next.targetTemp ? Math.max(next.power, 40) : 0;
  }
  // Full power settles near 308 °C at the default fan and airflow: above the trip point, so
  // holding it long enough trips the burner, as on a real machine.
  const heat = (next.power / 100) * 4;
  const loss =
    ((next.envTemp - AMBIENT) * 0.014 * (1 + next.fan * 0.15 + next.airflow * 0.01)) / 1.75;
  next.envTemp = round(next.envTemp + (heat - loss) * dt);
  const transfer = next.drumRpm > 0 ? 0.03 : 0.012;
  next.beanTemp = round(next.beanTemp + (next.envTemp - next.beanTemp) * transfer * dt);
  if (next.mode === 'RUNNING') next.roastSeconds = round(next.roastSeconds + dt);
  if (next.envTemp > HARDWARE_LIMITS.tripTemp && next.power > 0) {
    next.power = 0;
    next.tripped = true;
  }
  if (next.mode === 'COOLING' && next.coolingLeft !== null) {
    next.coolingLeft = round(next.coolingLeft - dt);
    if (next.coolingLeft <= 0)
      Object.assign(next, { mode: 'OFF', fan: 0, drumRpm: 0, airflow: 0, coolingLeft: null });
  } else if (
    next.mode === 'COOLING' &&
    next.envTemp <= SAFE_OFF_TEMP &&
    next.beanTemp <= SAFE_OFF_TEMP
  ) {
    // Cooling after a stop has no countdown: it ends when the machine is cool.
    Object.assign(next, { mode: 'OFF', power: 0, fan: 0, drumRpm: 0, airflow: 0 });
  }
  return next;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
