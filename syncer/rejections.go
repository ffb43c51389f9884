package syncer

// recordRejection keeps the manager's metrics and status in step with its
// gate's rejections.
func (m *manager) recordRejection(rel string, old, r *Rejection) {
	if old != nil {
		m.d.m.rejected.WithLabelValues(m.label, old.Reason).Dec()
	}
	if r != nil {
		m.d.m.rejected.WithLabelValues(m.label, r.Reason).Inc()
		m.d.m.rejections.WithLabelValues(m.label, r.Reason).Inc()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r != nil {
		m.st.Rejected[rel] = *r
	} else {
		delete(m.st.Rejected, rel)
	}
}
