package carbonapp

import "testing"

func TestIsCApp(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"App_1.0.0.car", true},
		{"a.car", true},
		{"carbonapps/App_1.0.0.car", true},
		{"carbonapps/sub/App_1.0.0.car", true},
		{"App_1.0.0.CAR", false}, // Carbon compares the extension case-sensitively
		{"App_1.0.0.Car", false},
		{".App_1.0.0.car", false}, // Carbon skips dot files
		{"carbonapps/.depsync-x.car", false},
		{".car", false},
		{"car", false},
		{"App.car.tmp", false},
		{"App.zip", false},
		{"", false},
	} {
		if got := IsCApp(tc.name); got != tc.want {
			t.Errorf("IsCApp(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
