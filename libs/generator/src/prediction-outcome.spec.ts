import type { Prediction } from 'replicate';
import { GenerationError } from './generation.error';
import { isFinished, predictionFailure, TERMINAL_PREDICTION_STATUSES } from './prediction-outcome';

const prediction = (fields: { status: Prediction['status']; error?: unknown }) =>
  ({ id: 'pred-123', model: 'a/b', created_at: '2030-01-01T00:00:00Z', ...fields }) as unknown as Prediction;

describe('predictionFailure', () => {
  it('makes a failed prediction a prediction_failed error that is not retried, quoting the upstream error', () => {
    const failure = predictionFailure(prediction({ status: 'failed', error: 'CUDA out of memory (E1001)' }));

    expect(failure).toBeInstanceOf(GenerationError);
    expect(failure.code).toBe('prediction_failed');
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain('CUDA out of memory (E1001)');
    expect(failure.message).toContain('pred-123');
  });

  it('retries a prediction that failed with the transient code E6716', () => {
    const failure = predictionFailure(
      prediction({ status: 'failed', error: 'Director: unexpected error handling prediction (E6716)' }),
    );

    expect(failure.code).toBe('prediction_failed');
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain('E6716');
  });

  it('does not take a longer code that merely contains E6716 for it', () => {
    expect(predictionFailure(prediction({ status: 'failed', error: 'error E67160' })).retryable).toBe(false);
    expect(predictionFailure(prediction({ status: 'failed', error: 'error XE6716' })).retryable).toBe(false);
  });

  it('does not retry a failure with an unknown code', () => {
    expect(predictionFailure(prediction({ status: 'failed', error: 'Unknown error (E1000)' })).retryable).toBe(false);
  });

  it('still describes a failed prediction that carries no error text', () => {
    for (const error of [null, undefined, { nested: 'E6716' }]) {
      const failure = predictionFailure(prediction({ status: 'failed', error }));

      expect(failure.code).toBe('prediction_failed');
      expect(failure.retryable).toBe(false);
      expect(failure.message).toContain('pred-123');
      expect(failure.message).not.toContain('undefined');
      expect(failure.message).not.toContain('[object Object]');
    }
  });

  it('makes a canceled prediction prediction_canceled, not retried', () => {
    const failure = predictionFailure(prediction({ status: 'canceled' }));

    expect(failure.code).toBe('prediction_canceled');
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain('pred-123');
  });

  it('makes an aborted prediction prediction_aborted, retried', () => {
    const failure = predictionFailure(prediction({ status: 'aborted' }));

    expect(failure.code).toBe('prediction_aborted');
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain('pred-123');
  });

  it('reports any other status as a retryable internal error', () => {
    const failure = predictionFailure(prediction({ status: 'processing' }));

    expect(failure.code).toBe('internal_error');
    expect(failure.retryable).toBe(true);
  });
});

describe('predictionFailure messages', () => {
  it.each([
    [{ status: 'failed', error: 'CUDA out of memory' }, 'Prediction pred-123 failed: CUDA out of memory'],
    [{ status: 'failed', error: null }, 'Prediction pred-123 failed: The prediction failed'],
    [{ status: 'canceled' }, 'Prediction pred-123 was canceled upstream'],
    [{ status: 'aborted' }, 'Prediction pred-123 was aborted before it started'],
    [{ status: 'starting' }, 'Prediction pred-123 ended as starting'],
  ] as const)('%j → %s', (fields, message) => {
    expect(predictionFailure(prediction(fields)).message).toBe(message);
  });
});

describe('isFinished', () => {
  it.each([
    ['starting', false],
    ['processing', false],
    ['succeeded', true],
    ['failed', true],
    ['canceled', true],
    ['aborted', true],
  ] as const)('says %s is finished: %s', (status, finished) => {
    expect(isFinished(prediction({ status }))).toBe(finished);
  });

  it('lists exactly the four end states as terminal', () => {
    expect([...TERMINAL_PREDICTION_STATUSES].sort()).toEqual(['aborted', 'canceled', 'failed', 'succeeded']);
  });
});
