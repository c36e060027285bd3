import { envoyReason } from './xds-sink.ts';

describe('envoyReason', () => {
  it('drops the proto dump and puts the innermost validation cause first', () => {
    const nack =
      'goo.gle/debugstr \nname: "default/a/127.0.0.1/80"\nvalue: "line\\nbreak"\n}\n' +
      ': Proto constraint validation failed (RouteConfigurationValidationError.VirtualHosts[0]: embedded ' +
      'message failed validation | caused by HeaderValueValidationError.Value: value does not match regex)';
    expect(envoyReason(nack)).toBe(
      'HeaderValueValidationError.Value: value does not match regex (Proto constraint validation failed)',
    );
  });
  it('keeps a plain message as it is', () => {
    expect(envoyReason('Error adding/updating listener(s) x: cannot bind')).toBe(
      'Error adding/updating listener(s) x: cannot bind',
    );
  });
});
