import { WaitSlots } from './wait-slots';

describe('WaitSlots', () => {
  it('caps each key on its own', () => {
    const slots = new WaitSlots({ perKey: 2, total: 10 });
    expect(slots.tryTake('alice')).not.toBeNull();
    expect(slots.tryTake('alice')).not.toBeNull();
    expect(slots.tryTake('alice')).toBeNull();
    expect(slots.tryTake('bob')).not.toBeNull();
  });

  it('caps all keys together', () => {
    const slots = new WaitSlots({ perKey: 5, total: 2 });
    expect(slots.tryTake('alice')).not.toBeNull();
    expect(slots.tryTake('bob')).not.toBeNull();
    expect(slots.tryTake('carol')).toBeNull();
  });

  it('gives a slot back once released, and only once', () => {
    const slots = new WaitSlots({ perKey: 1, total: 2 });
    const release = slots.tryTake('alice');
    release?.();
    release?.();
    expect(slots.tryTake('alice')).not.toBeNull();
    expect(slots.tryTake('bob')).not.toBeNull();
    expect(slots.tryTake('carol')).toBeNull();
  });

  it('counts what a key still holds after one of its slots is released', () => {
    const slots = new WaitSlots({ perKey: 2, total: 10 });
    const first = slots.tryTake('alice');
    expect(slots.tryTake('alice')).not.toBeNull();

    first?.();

    expect(slots.tryTake('alice')).not.toBeNull();
    expect(slots.tryTake('alice')).toBeNull();
  });

  it('never waits with a cap of 0', () => {
    expect(new WaitSlots({ perKey: 0, total: 10 }).tryTake('alice')).toBeNull();
    expect(new WaitSlots({ perKey: 10, total: 0 }).tryTake('alice')).toBeNull();
  });
});
