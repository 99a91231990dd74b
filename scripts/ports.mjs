// TCP ports for the n8n instances we start (npm start, the editor session, the e2e harness): one home.
import net from 'node:net';

/** A port that is free on 127.0.0.1 right now (the OS picks it). */
export async function freePort() {
	return await new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

/** Whether `port` can be listened on (on every interface, as n8n does). */
export async function portFree(port) {
	return await new Promise((resolve) => {
		const srv = net.createServer();
		srv.once('error', () => resolve(false));
		srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
	});
}
