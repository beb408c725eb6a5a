// The direct gRPC baseline: a grpc-js server whose one unary method `/bench.Echo/Echo` answers with the
// request's bytes unchanged (no protobuf decoding, so it costs what the transport costs).
// Usage: node echo-grpc.mjs <port>
import * as grpc from '@grpc/grpc-js';

const port = Number(process.argv[2]);
const identity = (bytes) => bytes;
const service = {
  Echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};
const server = new grpc.Server();
server.addService(service, { Echo: (call, callback) => callback(null, call.request) });
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  process.stdout.write(`listening ${port}\n`);
});
