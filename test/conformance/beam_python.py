"""Runs Beamline's conformance cases (test/conformance/cases/*.json) on Beam Python's DirectRunner.

Used by beam_python.test.ts when BEAMLINE_BEAM_PYTHON names a python launcher with apache_beam
importable. Prints, for each case, a line "CASE <json name>" and then one line "PANE <json pane>"
per pane fired, in the notation of test/conformance/cases.ts. The cases' units (milliseconds in
Beamline) are read as seconds here; a timestamp at its window's end is written "eow".

Usage: python beam_python.py CASE_FILE.json [CASE_FILE.json ...]
"""
import json
import multiprocessing
import os
import re
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.transforms import trigger as T
from apache_beam.transforms import window as W
from apache_beam.transforms.window import GlobalWindow, TimestampedValue

TIMING = {0: 'EARLY', 1: 'ON_TIME', 2: 'LATE', 3: 'UNKNOWN'}

TRIGGERS = {
    'Default': T.DefaultTrigger,
    'AfterWatermark': T.AfterWatermark,
    'AfterCount': T.AfterCount,
    'AfterProcessingTime': T.AfterProcessingTime,
    'Repeatedly': T.Repeatedly,
    'AfterFirst': T.AfterAny,
    'AfterAll': T.AfterAll,
    'AfterEach': T.AfterEach,
    'OrFinally': T.OrFinally,
    'Never': T._Never,
}

COMBINERS = {
    'END_OF_WINDOW': W.TimestampCombiner.OUTPUT_AT_EOW,
    'EARLIEST': W.TimestampCombiner.OUTPUT_AT_EARLIEST,
    'LATEST': W.TimestampCombiner.OUTPUT_AT_LATEST,
}


def window_fn(text):
  m = re.match(r'^(\w+)(?:\(([^)]*)\))?$', text.replace(' ', ''))
  name, args = m.group(1), [int(a) for a in m.group(2).split(',')] if m.group(2) else []
  if name == 'global':
    return W.GlobalWindows()
  if name == 'fixed':
    return W.FixedWindows(*args)
  if name == 'sliding':
    return W.SlidingWindows(*args)
  if name == 'sessions':
    return W.Sessions(*args)
  raise ValueError('unknown window fn ' + text)


def trigger_fn(text):
  # The cases write triggers in Python's own syntax.
  return eval(text, {'__builtins__': {}}, TRIGGERS)  # pylint: disable=eval-used


def element(text):
  m = re.match(r'^([^:]+):(-?\d+)@(-?\d+)$', text)
  return TimestampedValue((m.group(1), int(m.group(2))), int(m.group(3)))


class Describe(beam.DoFn):
  def process(self, kv, w=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam, ts=beam.DoFn.TimestampParam):
    key, values = kv
    if isinstance(values, int):
      v = str(values)
    else:
      vs = sorted(values)
      v = ','.join(str(x) for x in vs) if vs else '-'
    if isinstance(w, GlobalWindow):
      win = 'global'
    else:
      win = '[%d,%d)' % (int(w.start), int(w.end))
    t = 'eow' if ts == w.max_timestamp() else str(int(ts))
    text = '%s %s %s @%s %s#%d/%d%s%s' % (
        key, win, v, t, TIMING[pane.timing], pane.index, pane.nonspeculative_index,
        ' first' if pane.is_first else '', ' last' if pane.is_last else '')
    print("PANE " + json.dumps(text), flush=True)
    return []


def run(case):
  stream = TestStream()
  for step in case['script']:
    if 'add' in step:
      stream = stream.add_elements([element(e) for e in step['add']])
    elif 'watermark' in step:
      stream = stream.advance_watermark_to_infinity() if step['watermark'] == 'inf' else stream.advance_watermark_to(step['watermark'])
    else:
      stream = stream.advance_processing_time(step['processingTime'])
  w = case['windowing']
  kwargs = {}
  if 'trigger' in w:
    kwargs['trigger'] = trigger_fn(w['trigger'])
  if w.get('accumulationMode') == 'ACCUMULATING':
    kwargs['accumulation_mode'] = T.AccumulationMode.ACCUMULATING
  elif 'trigger' in w:
    kwargs['accumulation_mode'] = T.AccumulationMode.DISCARDING
  if 'allowedLateness' in w:
    kwargs['allowed_lateness'] = w['allowedLateness']
  if 'timestampCombiner' in w:
    kwargs['timestamp_combiner'] = COMBINERS[w['timestampCombiner']]
  opts = PipelineOptions(runner='DirectRunner', allow_unsafe_triggers=True)
  opts.view_as(StandardOptions).streaming = True
  with beam.Pipeline(options=opts) as p:
    windowed = p | stream | beam.WindowInto(window_fn(w['windowFn']), **kwargs)
    grouped = windowed | (beam.CombinePerKey(sum) if case.get('grouping') == 'Sum' else beam.GroupByKey())
    _ = grouped | beam.ParDo(Describe())


def run_and_report(case):
  try:
    run(case)
  except Exception as e:  # pylint: disable=broad-except
    print('ERROR ' + json.dumps('%s: %s' % (type(e).__name__, e)), flush=True)


def main():
  # Each case runs in a forked child with a time limit: Beam Python's runner can hang on some
  # scripts (it then reports "ERROR timeout").
  timeout = float(os.environ.get('CASE_TIMEOUT_SECONDS', '60'))
  ctx = multiprocessing.get_context('fork')
  for path in sys.argv[1:]:
    with open(path) as f:
      cases = json.load(f)
    for case in cases:
      if case.get('beamPython', {}).get('skip'):
        continue
      print('CASE ' + json.dumps(case['name']), flush=True)
      child = ctx.Process(target=run_and_report, args=(case, ))
      child.start()
      child.join(timeout)
      if child.is_alive():
        child.kill()
        child.join()
        print('ERROR ' + json.dumps('timeout: no result after %d s' % timeout), flush=True)


if __name__ == '__main__':
  main()
